// Benchmark peer: node:cluster with N workers, each listening on the same port; master and workers.
// Usage: PORT=8080 WORKERS=2 SCHED=rr|none node bench/peers/node-cluster.mjs [port] [workers]
//
// SCHED=rr:   the master accepts and hands each connection to a worker (Node's default).
// SCHED=none: the master binds, every worker polls the shared socket and accepts itself.
// SCHED=even: the master accepts and hands connection i to worker i mod N, strictly in turn
//   (node:cluster's rr hands each to the next *free* worker, which in a burst is often the same
//   one); only to measure an exactly even split against rr's.
// SHED=1 (with SCHED=none): a worker closes its listening handle while it holds more than
//   its fair share of open connections, and listens again once it is back under it.
// SHED=2: the same, and a worker over its share also closes surplus keep-alive connections
//   after their next response, so their clients reconnect to another worker.
import cluster from 'node:cluster';
import http from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const workers = Number(process.argv[3] ?? process.env.WORKERS ?? 2);
const host = process.env.HOST ?? '127.0.0.1';
const sched = process.env.SCHED ?? 'rr';

if (!['rr', 'none', 'even'].includes(sched)) {
  console.error(`node-cluster: SCHED must be rr, none or even, got ${JSON.stringify(sched)}`);
  process.exit(2);
}
// Must be set before the first fork; NODE_CLUSTER_SCHED_POLICY would also work.
cluster.schedulingPolicy = sched === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;

if (sched === 'even') {
  if (cluster.isPrimary) {
    const net = await import('node:net');
    const forked = Array.from({ length: workers }, () => cluster.fork());
    let next = 0;
    net.createServer({ pauseOnConnect: true }, (socket) => {
      forked[next++ % workers].send('conn', socket);
    }).listen(port, host);
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
    process.on('SIGTERM', () => {});
  } else {
    const { default: hello } = await import('../apps/hello.mjs');
    const server = http.createServer(hello);
    server.emit('listening'); // connection tracking, as for a listening server
    process.on('message', (msg, socket) => {
      if (msg !== 'conn' || !socket) return;
      server.emit('connection', socket);
      socket.resume();
    });
  }
} else if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  if (process.env.SHED === '1' || process.env.SHED === '2') {
    const { coordinateShedding } = await import('./shed.mjs');
    coordinateShedding(workers, { rebalance: process.env.SHED === '2' });
  }
  // Exit once every worker is gone, so a SIGTERM to the group ends in a clean stop.
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  process.on('SIGTERM', () => {}); // workers get the group's SIGTERM; wait for them
} else {
  const { default: hello } = await import('../apps/hello.mjs');
  const server = http.createServer(hello);
  server.listen(port, host);
  if (process.env.SHED === '1' || process.env.SHED === '2') {
    const { shedWhenOverShare } = await import('./shed.mjs');
    shedWhenOverShare(server, { port, host, rebalance: process.env.SHED === '2' });
  }
}
