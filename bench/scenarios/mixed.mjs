// Scenario (harness process): mixed workload, open loop. apps/mixed.mjs: /fast answers at once,
// /slow burns 100 ms of CPU; 1 request in 20 is /slow. First the capacity: wrk -t1 -c64 with a
// Lua script sending the same 19:1 mix, 5 s per target; then bench/tools/open-loop.mjs sends at
// a FIXED rate of half the median capacity for `--duration` (default 15) s per run, interleaved,
// after `--warmup` (default 1) s of the same load that is not counted (a fresh server's first
// second, its JIT cold, is a start-up effect, not the steady tail; `--warmup 0` measures it too).
// Reports the fast requests' p50/p99 (from their scheduled send time) per target, and the
// generator's own CPU and schedule lag.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runJsonTool, stopProcess } from '../lib/proc.mjs';
import { checkLoads, fmt, median, printTable, range, rotated } from '../lib/results.mjs';
import { runWrk, wrkArgs } from '../lib/wrk.mjs';
import { calibrateCpuApp, groupCpu, startApp } from './classes.mjs';

const APP = 'bench/apps/mixed.mjs';
const LUA = `local i = 0
request = function()
  i = i + 1
  if i % 20 == 0 then return wrk.format("GET", "/slow") end
  return wrk.format("GET", "/fast")
end
`;

const openLoop = (root, args, durationS) =>
  runJsonTool([process.execPath, 'bench/tools/open-loop.mjs', ...args], root, durationS + 30);

/**
 * Who sends the requests. users: 64 independent clients, each with its own keep-alive connections
 * (up to 6, as a browser), request i from client i mod 64. pool: one shared Node agent pool, which
 * reuses the most recently freed connection and so steers fast requests around a busy process by
 * itself (see bench/tools/open-loop.mjs); kept to show that effect.
 */
const CLIENTS = {
  users: ['--users', '64', '--max-sockets', '6'],
  pool: ['--users', '1', '--max-sockets', '1024'],
};

export default {
  describe: 'open-loop 95% fast / 5% 100 ms-CPU requests at half capacity; fast-request tail per target',
  needsWrk: true,
  defaultRuns: 3,
  defaultDuration: 15,
  baseline: 'cluster-app-w4',
  defaultTargets: ['corral-sync-w4', 'corral-thread-w2t2', 'corral-async-w4', 'cluster-app-w4'],

  async run(ctx) {
    const loads = checkLoads(ctx.loads ?? ['users'], CLIENTS);
    const roundsPerMs = calibrateCpuApp(ctx.root);
    const env = { CPU_ROUNDS_PER_MS: String(roundsPerMs) };
    const script = join(mkdtempSync(join(tmpdir(), 'corral-bench-mixed-')), 'mixed.lua');
    writeFileSync(script, LUA);
    const capacities = {};
    for (const target of ctx.targets) {
      const s = await startApp(ctx, target, APP, env);
      try {
        const wrk = await runWrk(wrkArgs({ threads: 1, connections: 64, script }, s.port, 5), 5);
        capacities[target] = wrk.rps;
        ctx.record({ target, load: 'capacity', command: wrk.command.replace(/-s \S+/, '-s mixed.lua'), lua: LUA,
          rps: wrk.rps, latencyMs: wrk.latencyMs, errorTotal: wrk.errorTotal, cpuRoundsPerMs: roundsPerMs });
        console.log(`capacity ${target.padEnd(20)} ${fmt(wrk.rps)} req/s (wrk -c64, 19 /fast : 1 /slow)`);
      } finally {
        await stopProcess(s.proc);
      }
    }
    const capacity = median(Object.values(capacities));
    const rate = Math.max(1, Math.round(capacity / 2));
    console.log(`median capacity ${fmt(capacity)} req/s -> open-loop rate ${rate} req/s for ${ctx.duration} s`);
    const rows = [];
    for (let run = 0; run < ctx.runs; run++) {
      const order = rotated(ctx.targets, run);
      for (const loadName of loads) for (const target of order) {
        let s;
        try {
          s = await startApp(ctx, target, APP, env);
        } catch (err) {
          console.log(`run ${run} ${target}: FAILED ${err.message.split('\n')[0]}`);
          ctx.record({ target, load: `open-loop-${loadName}`, run, failed: err.message.slice(0, 2000) });
          continue;
        }
        try {
          await sleep(300);
          const args = ['--port', String(s.port), '--rate', String(rate), '--duration', String(ctx.duration), '--slow-every', '20', ...CLIENTS[loadName]];
          if (ctx.warmup > 0) {
            const warm = args.map((a, i) => (args[i - 1] === '--duration' ? String(ctx.warmup) : a));
            await openLoop(ctx.root, warm, ctx.warmup);
            await sleep(300);
          }
          const cpu0 = groupCpu(s.proc.pid);
          const t0 = performance.now();
          const r = await openLoop(ctx.root, args, ctx.duration);
          const serverCpuPct = (100 * (groupCpu(s.proc.pid) - cpu0)) / ((performance.now() - t0) / 1000);
          // Behind schedule = the generator, not the server, limited the run.
          const generatorLimited = r.generator.lateFraction > 0.01 || r.achievedRate < 0.98 * rate;
          const row = { target, load: `open-loop-${loadName}`, run, command: `node bench/tools/open-loop.mjs ${args.join(' ').replace(/--port \d+/, '--port PORT')}`,
            capacityMedian: capacity, capacities, rate, warmupS: ctx.warmup, ...r, serverCpuPct, loadavg1: loadavg()[0], generatorLimited, cpuRoundsPerMs: roundsPerMs };
          ctx.record(row);
          rows.push(row);
          console.log(`run ${run} ${loadName.padEnd(5)} ${target.padEnd(20)} fast p50 ${fmt(r.fast.p50, 1)} p99 ${fmt(r.fast.p99, 1)} ms` +
            `  slow p50 ${fmt(r.slow.p50, 1)} p99 ${fmt(r.slow.p99, 1)} ms  err ${r.fast.errors + r.slow.errors}` +
            `  gen CPU ${r.generator.cpuPct}% late ${r.generator.lateSends} maxLag ${r.generator.maxSendLagMs} ms` +
            `${generatorLimited ? ' GENERATOR-LIMITED' : ''}  server CPU ${fmt(serverCpuPct)}%`);
        } finally {
          await stopProcess(s.proc);
        }
      }
    }
    for (const loadName of loads) {
      const lrows = rows.filter((r) => r.load === `open-loop-${loadName}`);
      const base = new Map(lrows.filter((r) => r.target === ctx.baseline).map((r) => [r.run, r.fast.p99]));
      console.log(`\n## open loop ${rate} req/s (half of median capacity ${fmt(capacity)}), ${ctx.duration} s, 1 in 20 /slow, clients: ${loadName} (${CLIENTS[loadName].join(' ')})`);
      const lines = [['target', 'runs', 'fast p50 ms', 'fast p99 ms', `${ctx.baseline} fast p99 / this (same run)`,
        'slow p50 ms', 'slow p99 ms', 'errors', 'gen CPU %', 'gen late sends', 'generator-limited runs', 'server CPU %']];
      for (const target of ctx.targets) {
        const rs = lrows.filter((r) => r.target === target);
        if (!rs.length) continue;
        const ratios = rs.filter((r) => base.has(r.run)).map((r) => base.get(r.run) / r.fast.p99);
        lines.push([target, rs.length, range(rs.map((r) => r.fast.p50), 1), range(rs.map((r) => r.fast.p99), 1),
          ratios.length ? range(ratios, 1) : '-', range(rs.map((r) => r.slow.p50), 1), range(rs.map((r) => r.slow.p99), 1),
          rs.reduce((a, r) => a + r.fast.errors + r.slow.errors + r.unfinished, 0), range(rs.map((r) => r.generator.cpuPct)),
          range(rs.map((r) => r.generator.lateSends)), rs.filter((r) => r.generatorLimited).length, fmt(median(rs.map((r) => r.serverCpuPct)))]);
      }
      printTable(lines);
    }
  },
};
