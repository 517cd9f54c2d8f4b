// The examples in examples/ start under corral and answer the routes their comments promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral } from '../helpers/corral.ts';
import { get } from './support.ts';

test('examples/hello/app.ts (the npm start app) serves its routes from two workers', async () => {
  const corral = await startCorral(['examples/hello/app.ts', '-w', '2']);
  try {
    assert.match(corral.output, /Ready: 2 worker\(s\) serving Fetch app \(default export of examples\/hello\/app\.ts\)/);
    assert.match(await (await get(`${corral.url}/`)).text(), /^Hello from corral worker \d+!\n$/);
    assert.equal(await (await get(`${corral.url}/hello/corral`)).text(), 'Hello, corral!\n');
    const doubled = await get(`${corral.url}/double`, { method: 'POST', body: '{"n": 2}' });
    assert.deepEqual(await doubled.json(), { n: 2, doubled: 4 });
    const bad = await get(`${corral.url}/double`, { method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
    assert.equal((await get(`${corral.url}/nope`)).status, 404);
  } finally {
    await corral.stop();
  }
});

test('examples/express/app.ts:app serves its routes', async () => {
  const corral = await startCorral(['examples/express/app.ts:app', '-w', '1']);
  try {
    assert.match(corral.output, /serving Express app \(export `app` of examples\/express\/app\.ts\)/);
    assert.deepEqual(await (await get(`${corral.url}/users/42`)).json(), { id: '42' });
    const echoed = await get(`${corral.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.deepEqual(await echoed.json(), { a: 1 });
  } finally {
    await corral.stop();
  }
});
