// Benchmark app: mixed workload. GET /slow burns SLOW_MS (default 100) ms of CPU (the same
// fixed hash workload as apps/cpu.mjs); every other path answers at once.
import { ROUNDS_PER_MS, hashRounds } from './cpu.mjs';

const BODY = Buffer.from('hello world!');
const SLOW_ROUNDS = Math.round(ROUNDS_PER_MS * Number(process.env.SLOW_MS ?? 100));

export default function mixed(req, res) {
  if (req.url === '/slow') hashRounds(SLOW_ROUNDS);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
}
