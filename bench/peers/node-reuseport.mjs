// Benchmark peer: N forked workers, each binding its own SO_REUSEPORT socket; master and workers.
// Usage: PORT=8080 WORKERS=2 node bench/peers/node-reuseport.mjs [port] [workers]
// Needs Node >= 22.12 (net `reusePort`). The kernel spreads connections by a hash of the
// 4-tuple; the master never touches a socket, it only forks and waits.
import { fork } from 'node:child_process';
import http from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const workers = Number(process.argv[3] ?? process.env.WORKERS ?? 2);
const host = process.env.HOST ?? '127.0.0.1';

if (process.env.REUSEPORT_WORKER !== '1') {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    console.error(`node-reuseport: needs Node >= 22.12 for reusePort, this is ${process.version}`);
    process.exit(2);
  }
  let alive = 0;
  for (let i = 0; i < workers; i++) {
    alive++;
    fork(new URL(import.meta.url).pathname, [String(port), String(workers)], {
      env: { ...process.env, REUSEPORT_WORKER: '1' },
    }).on('exit', () => { if (--alive === 0) process.exit(0); });
  }
  process.on('SIGTERM', () => {}); // workers get the group's SIGTERM; exit when they are gone
} else {
  const { default: hello } = await import('../apps/hello.mjs');
  http.createServer(hello).listen({ port, host, reusePort: true });
}
