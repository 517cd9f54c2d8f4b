// Benchmark peer: what each PM2 cluster-mode instance runs (pm2-runtime start ... -i N); a worker.
// PM2's cluster mode is node:cluster underneath: every instance listens on PORT and the PM2
// daemon's master hands connections out round-robin. BENCH_APP is the app module to serve.
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const port = Number(process.env.PORT);
const app = path.resolve(process.env.BENCH_APP || 'bench/apps/hello.mjs');
import(pathToFileURL(app).href).then(({ default: listener }) => {
  http.createServer(listener).listen(port, '127.0.0.1');
});
