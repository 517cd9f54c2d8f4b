// Benchmark app: a node:http request listener answering "hello world!"; runs in each worker.
// Per-process counts: see counting.mjs.
import { counted } from './counting.mjs';

export { requestCount } from './counting.mjs';

const BODY = Buffer.from('hello world!');

/** @type {import('node:http').RequestListener} */
export default function hello(req, res) {
  counted(req);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
}
