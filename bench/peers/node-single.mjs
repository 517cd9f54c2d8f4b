// Benchmark peer: one plain node:http process serving an app (default bench/apps/hello.mjs).
// Usage: node bench/peers/node-single.mjs PORT [APP_PATH]
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const app = resolve(process.argv[3] ?? 'bench/apps/hello.mjs');
const { default: handler } = await import(pathToFileURL(app).href);

const server = http.createServer(handler);
server.keepAliveTimeout = 5000;
server.listen(port, host);
process.on('SIGTERM', () => process.exit(0));
