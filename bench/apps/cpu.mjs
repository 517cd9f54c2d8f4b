// Benchmark app: CPU-bound handler. Burns CPU_MS (default 10) ms of CPU by hashing a fixed
// buffer a fixed number of times, calibrated once at load (so the work is fixed per request,
// not a wall-clock spin that would stretch when the process is descheduled).
// Readiness probes (x-bench-nocount) are answered at once.
import { createHash } from 'node:crypto';
import { counted } from './counting.mjs';

const BUF = Buffer.alloc(4096, 7);
const target = Number(process.env.CPU_MS ?? 10);

export function hashRounds(n) {
  let h = BUF;
  for (let i = 0; i < n; i++) h = createHash('sha256').update(h).update(BUF).digest();
  return h;
}

// Calibrate: rounds per ms, measured on 30 ms of work (cached per process via env to keep
// workers identical when the harness passes CPU_ROUNDS).
function calibrate() {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 30) { hashRounds(50); n += 50; }
  return n / (performance.now() - t0);
}
export const ROUNDS_PER_MS = Number(process.env.CPU_ROUNDS_PER_MS) || calibrate();
const ROUNDS = Math.max(1, Math.round(ROUNDS_PER_MS * target));

export function burn(ms = target) {
  return hashRounds(ms === target ? ROUNDS : Math.max(1, Math.round(ROUNDS_PER_MS * ms)));
}

const BODY = Buffer.from('hello world!');
export default function cpu(req, res) {
  if (counted(req)) burn();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
}
