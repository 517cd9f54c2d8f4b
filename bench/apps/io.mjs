// Benchmark app: I/O-bound handler. Waits IO_MS (default 1000) ms on a timer, then answers
// "hello world!". Readiness probes (x-bench-nocount) are answered at once. Per-process counts:
// see counting.mjs.
import { counted } from './counting.mjs';

const BODY = Buffer.from('hello world!');
const wait = Number(process.env.IO_MS ?? 1000);

export default function io(req, res) {
  const answer = () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  };
  if (counted(req)) setTimeout(answer, wait);
  else answer();
}
