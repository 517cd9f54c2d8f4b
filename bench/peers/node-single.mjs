// Benchmark peer: one plain node:http process serving bench/apps/hello.mjs.
// Usage: PORT=8080 node bench/peers/node-single.mjs [port]
import http from 'node:http';
import hello from '../apps/hello.mjs';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

http.createServer(hello).listen(port, host);
