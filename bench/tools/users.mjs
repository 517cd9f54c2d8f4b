#!/usr/bin/env node
// Load generator with the seed study's user model (for 127.0.0.1 only): N users, each with its
// own keep-alive connection, each sending one request, waiting for the answer, then thinking a
// uniform 5-15 s before the next (locust's FastHttpUser with `wait_time = between(5, 15)`);
// users start evenly over the ramp.
//   node bench/tools/users.mjs --port P --users N [--ramp 10] [--duration 40] [--wait-min 5]
//        [--wait-max 15] [--timeout 10] [--path /]
// Latency is measured from sending a request to the end of its response. A GET that meets the
// keep-alive race (the server closing the idle connection as it is reused) is retried once. Only requests sent
// after the ramp count. Prints one JSON object: requests, failures, req/s, min/median/mean/p95/
// p99/max (ms), and the generator's own CPU and event-loop delay, so a run where the generator
// itself was the bottleneck can be flagged (a late timer means late requests).
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: {
  port: { type: 'string' }, users: { type: 'string' }, ramp: { type: 'string', default: '10' },
  duration: { type: 'string', default: '40' }, 'wait-min': { type: 'string', default: '5' },
  'wait-max': { type: 'string', default: '15' }, timeout: { type: 'string', default: '10' },
  path: { type: 'string', default: '/' },
} });
const port = Number(o.port);
const users = Number(o.users);
const rampMs = Number(o.ramp) * 1000;
const durationMs = Number(o.duration) * 1000;
const waitMin = Number(o['wait-min']) * 1000;
const waitMax = Number(o['wait-max']) * 1000;
const timeoutMs = Number(o.timeout) * 1000;
if (!(port > 0) || !(users > 0) || !(durationMs > rampMs)) {
  console.error('usage: users.mjs --port P --users N [--ramp S] [--duration S > ramp] [--wait-min S] [--wait-max S]');
  process.exit(2);
}

const lat = [];
let failures = 0;
let counted = 0;
let outstanding = 0;
let retries = 0;
const errorKinds = {};
const t0 = performance.now();
const measureFrom = t0 + rampMs;
const endAt = t0 + durationMs;
const delay = monitorEventLoopDelay({ resolution: 10 });
const cpu0 = process.cpuUsage();

function request(agent) {
  return new Promise((resolve) => {
    const sent = performance.now();
    let retried = false;
    const count = sent >= measureFrom;
    outstanding++;
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      outstanding--;
      if (count) {
        counted++;
        if (err) {
          failures++;
          errorKinds[err] = (errorKinds[err] ?? 0) + 1;
        } else {
          lat.push(performance.now() - sent);
        }
      }
      resolve();
    };
    const attempt = () => {
      const req = http.get({ host: '127.0.0.1', port, path: o.path, agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode === 200 ? null : `HTTP ${res.statusCode}`));
        res.on('error', (e) => finish(e.code ?? e.message));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (e) => {
        // The keep-alive race: the server closed this idle connection (its keep-alive timeout) just
        // as the request went out on it. Like browsers and Node's docs (`request.reusedSocket`),
        // retry a GET once on a new connection; latency still counts from the first send.
        if (req.reusedSocket && !retried && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          retried = true;
          retries++;
          attempt();
          return;
        }
        finish(e.code ?? e.message);
      });
    };
    attempt();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function user(i) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  await sleep((i * rampMs) / users);
  while (performance.now() < endAt) {
    await request(agent);
    const think = waitMin + Math.random() * (waitMax - waitMin);
    if (performance.now() + think >= endAt) break;
    await sleep(think);
  }
  agent.destroy();
}

delay.enable();
await Promise.all(Array.from({ length: users }, (_, i) => user(i)));
delay.disable();
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] : null);
const r2 = (x) => (x === null ? null : Math.round(x * 100) / 100);
console.log(JSON.stringify({
  users, rampS: rampMs / 1000, durationS: durationMs / 1000, waitS: [waitMin / 1000, waitMax / 1000],
  requests: counted, failures, errorKinds, keepAliveRaceRetries: retries, rps: Math.round((counted / ((endAt - measureFrom) / 1000)) * 10) / 10,
  latencyMs: { min: r2(lat[0] ?? null), p50: r2(pct(50)), mean: r2(lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null),
    p95: r2(pct(95)), p99: r2(pct(99)), max: r2(lat[lat.length - 1] ?? null) },
  generator: { cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10,
    loopDelayP99Ms: Math.round(delay.percentile(99) / 1e4) / 100, loopDelayMaxMs: Math.round(delay.max / 1e4) / 100 },
}));
process.exit(0);
