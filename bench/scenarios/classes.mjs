// Scenario (harness process): the seed study's three workloads per worker class.
//   constant: apps/hello.mjs, wrk -t1 -c64 keep-alive
//   cpu:      apps/cpu.mjs (~10 ms of CPU per request), wrk -t1 -c64 keep-alive
//   io:       apps/io.mjs (answers after a 1 s timer), wrk -t2 -c1000 -d10s --timeout 5s
// Before each cpu run the handler's cost is measured alone (100 calls in one process, CPU time
// per call) and so the ceiling two cores allow (2000 / cost_ms req/s) for that run.
// Servers and wrk are started from `sh -c 'ulimit -n 65536; exec ...'`.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, groupMembers, startProcess, stopProcess, track, waitReady } from '../lib/proc.mjs';
import { cpuSeconds } from '../lib/procstat.mjs';
import { fmt, median, printTable, range, rotated } from '../lib/results.mjs';
import { TARGETS } from '../lib/targets.mjs';
import { commandLine, runWrk, wrkArgs } from '../lib/wrk.mjs';

export const WORKLOADS = {
  constant: { app: 'bench/apps/hello.mjs', threads: 1, connections: 64 },
  cpu: { app: 'bench/apps/cpu.mjs', threads: 1, connections: 64 },
  // The same with a new connection per request, as the sync class (and Gunicorn's) serves it: what
  // a server pays for closing after every response, measured on the bare cluster too.
  'cpu-close': { app: 'bench/apps/cpu.mjs', threads: 1, connections: 64, headers: ['Connection: close'] },
  io: { app: 'bench/apps/io.mjs', threads: 2, connections: 1000, duration: 10 },
};

const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$@"';
export const withUlimit = (argv) => ['sh', '-c', ULIMIT, 'sh', ...argv];

/** CPU seconds used so far by every live member of process group `pgid`. */
export function groupCpu(pgid) {
  let s = 0;
  for (const pid of groupMembers(pgid)) {
    try { s += cpuSeconds(pid); } catch { /* exited */ }
  }
  return s;
}

/** Rounds of the cpu app's hash per CPU-ms, measured once in a child; shared by all targets. */
export function calibrate(root) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const { hashRounds } = await import('./bench/apps/cpu.mjs');
    hashRounds(2000);
    const c0 = process.cpuUsage(); let n = 0;
    for (;;) { hashRounds(200); n += 200; const u = process.cpuUsage(c0); if (u.user + u.system > 400000) {
      console.log(n / ((u.user + u.system) / 1000)); break; } }`], { cwd: root, encoding: 'utf8', env: { ...process.env, CPU_ROUNDS_PER_MS: '1' } });
  return Number(out.trim());
}

/** Calibrate, then correct once with the cost measured through the handler itself. */
export function calibrateCpuApp(root) {
  let r = calibrate(root);
  const c = handlerCost(root, { CPU_ROUNDS_PER_MS: String(r) }, 50);
  r *= 10 / c.cpuMs;
  return r;
}

/** The cpu handler's cost alone: `calls` calls in one process; CPU ms and wall ms per call. */
export function handlerCost(root, env, calls = 100) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const { default: app } = await import('./bench/apps/cpu.mjs');
    const req = { headers: {} }; const res = { writeHead() {}, end() {} };
    for (let i = 0; i < 5; i++) app(req, res);
    const c0 = process.cpuUsage(); const t0 = performance.now();
    for (let i = 0; i < ${calls}; i++) app(req, res);
    const u = process.cpuUsage(c0);
    console.log(JSON.stringify({ cpuMs: (u.user + u.system) / 1000 / ${calls}, wallMs: (performance.now() - t0) / ${calls} }));`],
  { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(out.trim());
}

/** Start `target` serving `app` (under the raised fd limit); returns { proc, port, argv }. */
export async function startApp(ctx, target, app, env = {}) {
  const t = TARGETS[target];
  const port = await freePort();
  const argv = t.cmd(port, app);
  const proc = track(startProcess(withUlimit(argv), { ...t.env, ...env }, ctx.root));
  try {
    await waitReady(proc, port);
  } catch (err) {
    await stopProcess(proc);
    throw new Error(`target ${target}: ${err.message}`);
  }
  return { proc, port, argv };
}

/** One wrk run of `load` against a fresh `target` serving `load.app`. */
export async function wrkRun(ctx, target, load, { duration, warmup, env = {} }) {
  const s = await startApp(ctx, target, load.app, env);
  try {
    if (warmup > 0) {
      await runWrk(wrkArgs({ ...load, connections: Math.min(load.connections, 64) }, s.port, warmup), warmup);
      await sleep(300);
    }
    const cpu0 = groupCpu(s.proc.pid);
    const t0 = performance.now();
    const wrk = await runWrk(wrkArgs(load, s.port, duration), duration);
    const wall = (performance.now() - t0) / 1000;
    const serverCpuPct = (100 * (groupCpu(s.proc.pid) - cpu0)) / wall;
    return { server: commandLine(s.argv).replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT'), command: wrk.command, generator: wrk.generator,
      rps: wrk.rps, requests: wrk.requests, latencyMs: wrk.latencyMs, errors: wrk.errors,
      errorTotal: wrk.errorTotal, loadavg1: loadavg()[0], serverCpuPct, serverCpuMsPerReq: (serverCpuPct * 10 * wall) / wrk.requests };
  } finally {
    await stopProcess(s.proc);
  }
}

export default {
  describe: 'constant / CPU-bound / I/O-bound handlers on corral async, sync, thread and bare node:cluster',
  needsWrk: true,
  defaultRuns: 3,
  defaultDuration: 8,
  baseline: 'cluster-app-w2',
  defaultTargets: ['corral-async-w2', 'corral-sync-w4', 'corral-sync-w2', 'corral-thread-w2t2', 'cluster-app-w2'],

  async run(ctx) {
    const loads = ctx.loads ?? Object.keys(WORKLOADS);
    const roundsPerMs = calibrateCpuApp(ctx.root);
    const env = { CPU_ROUNDS_PER_MS: String(roundsPerMs) };
    console.log(`cpu app: ${fmt(roundsPerMs, 1)} hash rounds per CPU-ms (CPU_ROUNDS_PER_MS for every target)`);
    const rows = [];
    for (const loadName of loads) {
      const load = WORKLOADS[loadName];
      const duration = load.duration ?? ctx.duration;
      for (let run = 0; run < ctx.runs; run++) {
        const order = rotated(ctx.targets, run);
        for (const target of order) {
          let cost = null;
          if (load.app === WORKLOADS.cpu.app) cost = handlerCost(ctx.root, env);
          let res;
          try {
            res = await wrkRun(ctx, target, load, { duration, warmup: ctx.warmup, env });
          } catch (err) {
            console.log(`run ${run} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
            ctx.record({ target, load: loadName, run, failed: err.message.slice(0, 2000) });
            continue;
          }
          const ceiling = cost ? 2000 / cost.cpuMs : null;
          const row = { target, load: loadName, run, ...res, cpuRoundsPerMs: roundsPerMs,
            handlerCost: cost, twoCoreCeilingRps: ceiling, pctOfCeiling: ceiling ? (100 * res.rps) / ceiling : null };
          ctx.record(row);
          rows.push(row);
          console.log(`run ${run} ${loadName.padEnd(8)} ${target.padEnd(20)} ${fmt(res.rps).padStart(6)} req/s` +
            `  p50 ${fmt(res.latencyMs.p50, 1)} p99 ${fmt(res.latencyMs.p99, 1)} ms  err ${res.errorTotal}` +
            `  server CPU ${fmt(res.serverCpuPct)}%` + (cost ? `  cost ${fmt(cost.cpuMs, 2)} ms  ${fmt(row.pctOfCeiling)}% of ceiling` : ''));
        }
      }
    }
    summarize(rows, ctx.baseline);
  },
};

export function summarize(rows, baseline) {
  for (const loadName of [...new Set(rows.map((r) => r.load))]) {
    const inLoad = rows.filter((r) => r.load === loadName);
    const base = new Map(inLoad.filter((r) => r.target === baseline).map((r) => [r.run, r.rps]));
    console.log(`\n## ${loadName}: ${inLoad[0].command.replace(/http:\S+/, 'URL')}`);
    const lines = [['target', 'runs', 'req/s median [min–max]', `ratio vs ${baseline}`, 'p50 ms', 'p99 ms',
      'p99/p50', 'errors', 'server CPU %', '% of 2-core ceiling']];
    for (const target of [...new Set(inLoad.map((r) => r.target))]) {
      const rs = inLoad.filter((r) => r.target === target);
      const ratios = rs.filter((r) => base.has(r.run)).map((r) => r.rps / base.get(r.run));
      lines.push([target, rs.length, range(rs.map((r) => r.rps)), ratios.length ? fmt(median(ratios), 2) : '-',
        range(rs.map((r) => r.latencyMs.p50), 1), range(rs.map((r) => r.latencyMs.p99), 1),
        range(rs.map((r) => r.latencyMs.p99 / r.latencyMs.p50), 2), rs.reduce((a, r) => a + r.errorTotal, 0),
        fmt(median(rs.map((r) => r.serverCpuPct))), rs[0].pctOfCeiling ? range(rs.map((r) => r.pctOfCeiling)) : '-']);
    }
    printTable(lines);
  }
  const costs = rows.filter((r) => r.handlerCost).map((r) => r.handlerCost);
  if (costs.length) {
    console.log(`\ncpu handler alone: ${range(costs.map((c) => c.cpuMs), 2)} CPU ms/call, ` +
      `${range(costs.map((c) => c.wallMs), 2)} wall ms/call; two-core ceiling ${range(costs.map((c) => 2000 / c.cpuMs))} req/s`);
  }
}
