#!/usr/bin/env node
// Open-loop HTTP load generator (wrk2-style, for 127.0.0.1 only).
//   node bench/tools/open-loop.mjs --port P --rate R [--duration 15] [--slow-every 20]
//        [--fast /fast] [--slow /slow] [--users 64] [--max-sockets 6] [--timeout 10]
// Request i is scheduled at t0 + i/R whatever happened to earlier requests; every
// `slow-every`-th request goes to the slow path. Latency is measured from the request's
// *scheduled* time (not when it was actually sent), so a generator or server that falls
// behind shows up as latency instead of being hidden (no coordinated omission).
// Clients: `--users` independent clients, each with its own keep-alive connections (up to
// `--max-sockets` at once, as a browser opens several); request i comes from client i mod users.
// With one shared pool instead (`--users 1 --max-sockets 1024`), the pool itself steers requests
// away from a busy server process: Node's agent reuses the most recently freed connection, and
// the connection of a slow request is not free, so the pool routes fast requests around the busy
// process — a load balancer no real client population provides.
// Prints one JSON object: per-class count, errors, p50/p90/p99/p99.9/max (ms), the
// generator's own CPU (process.cpuUsage) and how far behind schedule it sent.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: {
  port: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string', default: '15' },
  'slow-every': { type: 'string', default: '20' }, fast: { type: 'string', default: '/fast' },
  slow: { type: 'string', default: '/slow' }, users: { type: 'string', default: '64' },
  'max-sockets': { type: 'string', default: '6' },
  timeout: { type: 'string', default: '10' },
} });
const port = Number(o.port);
const rate = Number(o.rate);
const durationMs = Number(o.duration) * 1000;
const slowEvery = Number(o['slow-every']);
const timeoutMs = Number(o.timeout) * 1000;
if (!(port > 0) || !(rate > 0)) {
  console.error('usage: open-loop.mjs --port P --rate R [--duration S] [--slow-every N]');
  process.exit(2);
}

const users = Math.max(1, Number(o.users));
const agents = Array.from({ length: users }, () =>
  new http.Agent({ keepAlive: true, maxSockets: Number(o['max-sockets']), maxFreeSockets: Number(o['max-sockets']) }));
const stats = { fast: { lat: [], errors: 0, sent: 0 }, slow: { lat: [], errors: 0, sent: 0 } };
let lateSends = 0; // sent more than 5 ms after their scheduled time
let maxSendLagMs = 0;
let outstanding = 0;
let maxOutstanding = 0;

function send(i, scheduled) {
  const kind = slowEvery > 0 && i % slowEvery === slowEvery - 1 ? 'slow' : 'fast';
  const s = stats[kind];
  s.sent++;
  const lag = performance.now() - scheduled;
  if (lag > 5) lateSends++;
  if (lag > maxSendLagMs) maxSendLagMs = lag;
  outstanding++;
  if (outstanding > maxOutstanding) maxOutstanding = outstanding;
  let done = false;
  const finish = (ok) => {
    if (done) return;
    done = true;
    outstanding--;
    if (ok) s.lat.push(performance.now() - scheduled);
    else s.errors++;
  };
  const agent = agents[i % users];
  const req = http.get({ host: '127.0.0.1', port, path: o[kind], agent, timeout: timeoutMs }, (res) => {
    res.resume();
    res.on('end', () => finish(res.statusCode === 200));
    res.on('error', () => finish(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => finish(false));
}

const cpu0 = process.cpuUsage();
const t0 = performance.now() + 50;
const total = Math.floor((rate * durationMs) / 1000);
let next = 0;
// Tick every ms (setImmediate when behind) and send everything that is due.
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next < total && t0 + (next * 1000) / rate <= now) {
      send(next, t0 + (next * 1000) / rate);
      next++;
    }
    if (next >= total) return resolve();
    setTimeout(tick, 1);
  };
  setTimeout(tick, 50);
});
const sendEnd = performance.now();
const deadline = Date.now() + timeoutMs + 1000;
while (outstanding > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const cpu = process.cpuUsage(cpu0);
const wallS = (performance.now() - t0) / 1000;

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
const summary = (s) => {
  const l = s.lat.sort((a, b) => a - b);
  const r = (x) => (x === null ? null : Math.round(x * 100) / 100);
  return { sent: s.sent, ok: l.length, errors: s.errors, p50: r(pct(l, 50)), p90: r(pct(l, 90)),
    p99: r(pct(l, 99)), p999: r(pct(l, 99.9)), max: r(l[l.length - 1] ?? null) };
};
const result = {
  rate, durationS: durationMs / 1000, scheduled: total, slowEvery, users, maxSockets: Number(o['max-sockets']), unfinished: outstanding,
  fast: summary(stats.fast), slow: summary(stats.slow),
  achievedRate: Math.round((total / ((sendEnd - t0) / 1000)) * 10) / 10,
  generator: { cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 1000) / 10,
    lateSends, lateFraction: Math.round((lateSends / Math.max(1, total)) * 1e4) / 1e4,
    maxSendLagMs: Math.round(maxSendLagMs * 10) / 10, maxOutstanding },
};
console.log(JSON.stringify(result));
for (const a of agents) a.destroy();
process.exit(0);
