// Benchmark peer: bare node:cluster (Node's default scheduling, round-robin) serving any app.
// Usage: node bench/peers/cluster-app.mjs PORT WORKERS APP_PATH
import cluster from 'node:cluster';
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 2);
const app = resolve(process.argv[4] ?? 'bench/apps/hello.mjs');

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  process.on('SIGTERM', () => {}); // workers get the group's SIGTERM; wait for them
} else {
  const { default: handler } = await import(pathToFileURL(app).href);
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}
