// Benchmark apps' per-process counting (runs in each worker; imported by hello, io and cpu).
//
// Counts the requests this process served, the distinct connections they came on, the mean
// number of those connections open at once (sampled every 50 ms), and the CPU time it used, all
// from its first counted request on. When BENCH_COUNTS_DIR is set, these are written to
// $BENCH_COUNTS_DIR/<pid>.json on exit, so the harness can report per-worker balance. Requests
// carrying `x-bench-nocount` (readiness probes, warm-up) are not counted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let count = 0;
let connections = 0;
let cpuAtFirst = null;
let open = 0;
let openSum = 0;
let openSamples = 0;
const seen = new WeakSet();

function startSampling() {
  cpuAtFirst = process.cpuUsage();
  setInterval(() => { openSum += open; openSamples++; }, 50).unref();
}

/** Counts `req` unless it is a probe; returns whether it was counted. */
export function counted(req) {
  if (req.headers['x-bench-nocount'] !== undefined) return false;
  if (count++ === 0) startSampling();
  if (req.socket && !seen.has(req.socket)) {
    seen.add(req.socket);
    connections++;
    open++;
    req.socket.once('close', () => { open--; });
  }
  return true;
}

export function requestCount() {
  return count;
}

function cpuMs() {
  if (cpuAtFirst === null) return 0;
  const u = process.cpuUsage(cpuAtFirst);
  return (u.user + u.system) / 1000;
}

const dir = process.env.BENCH_COUNTS_DIR;
if (dir) {
  const writeCount = () => {
    const meanOpen = openSamples ? Math.round((10 * openSum) / openSamples) / 10 : 0;
    const record = { pid: process.pid, count, connections, meanOpen, cpuMs: Math.round(cpuMs()) };
    try {
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(record));
    } catch {
      // The directory may be gone if the harness already gave up on this run.
    }
  };
  // 'exit' covers process.exit() and a natural end (a server that closes gracefully).
  process.on('exit', writeCount);
  // A bare SIGTERM kills without running 'exit' listeners. Write now; if nobody else
  // (the host server) handles SIGTERM, exit ourselves so 'exit' writes the final count.
  // If the host has its own graceful stop, leave it in charge.
  const onTerm = () => {
    writeCount();
    if (process.listenerCount('SIGTERM') === 1) process.exit(0);
  };
  process.on('SIGTERM', onTerm);
}
