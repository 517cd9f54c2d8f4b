// Example: an Express 5 app served by corral. Runs in each corral worker process.
//
// With express installed in your project:
//   npx corral examples/express/app.ts:app -w 4
// (corral serves the default export, else the export named `app`; naming it is optional.)

import express from 'express';

export const app = express();

app.use(express.json());

app.get('/', (_req, res) => {
  res.send(`Hello from Express in corral worker ${process.pid}!\n`);
});

app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id });
});

app.post('/echo', (req, res) => {
  res.json(req.body);
});
