// Scenario (harness process): the seed study's user model — N users, each thinking 5-15 s between
// requests, ramped over 10 s — at 10, 100, 1,000 and 10,000 users, per target and app.
// Loads (`--loads`): users-10, users-100, users-1000, users-10000 (default: all). Apps (`BENCH_APPS`,
// comma-separated, default hello,io): hello = apps/hello.mjs, io = apps/io.mjs (Gunicorn targets
// serve their Flask twins). Generator: bench/tools/users.mjs, under the raised fd limit; each
// result records its CPU and event-loop delay, and a run whose generator loop was late by more
// than 50 ms at p99 is flagged generator-limited.
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { runJsonTool, stopProcess } from '../lib/proc.mjs';
import { fmt, printTable, range, rotated } from '../lib/results.mjs';
import { groupCpu, startApp, withUlimit } from './classes.mjs';

const COUNTS = { 'users-10': 10, 'users-100': 100, 'users-1000': 1000, 'users-10000': 10000 };
const APPS = { hello: 'bench/apps/hello.mjs', io: 'bench/apps/io.mjs' };
const RAMP_S = 10;

const runUsers = (root, args, durationS) =>
  runJsonTool(withUlimit([process.execPath, 'bench/tools/users.mjs', ...args]), root, durationS + 60);

export default {
  describe: "the seed's user model (think 5-15 s, 10 s ramp) at 10-10,000 users; median, p95, failures",
  needsWrk: false,
  defaultRuns: 3,
  defaultDuration: 40,
  baseline: 'cluster-app-w2',
  defaultTargets: ['corral-async-w2', 'cluster-app-w2'],

  async run(ctx) {
    const loads = ctx.loads ?? Object.keys(COUNTS);
    for (const l of loads) if (!COUNTS[l]) throw new Error(`unknown load ${l}; known: ${Object.keys(COUNTS).join(', ')}`);
    const apps = (process.env.BENCH_APPS ?? 'hello,io').split(',');
    for (const a of apps) if (!APPS[a]) throw new Error(`unknown app ${a} in BENCH_APPS; known: ${Object.keys(APPS).join(', ')}`);
    const rows = [];
    for (let run = 0; run < ctx.runs; run++) {
      for (const appName of apps) for (const loadName of loads) {
        const order = rotated(ctx.targets, run);
        for (const target of order) {
          let s;
          try {
            s = await startApp(ctx, target, APPS[appName]);
          } catch (err) {
            console.log(`run ${run} ${appName} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
            ctx.record({ target, app: appName, load: loadName, run, failed: err.message.slice(0, 2000) });
            continue;
          }
          try {
            await sleep(300);
            const args = ['--port', String(s.port), '--users', String(COUNTS[loadName]), '--ramp', String(RAMP_S),
              '--duration', String(ctx.duration)];
            const cpu0 = groupCpu(s.proc.pid);
            const t0 = performance.now();
            const r = await runUsers(ctx.root, args, ctx.duration);
            const serverCpuPct = (100 * (groupCpu(s.proc.pid) - cpu0)) / ((performance.now() - t0) / 1000);
            const generatorLimited = r.generator.loopDelayP99Ms > 50;
            const row = { target, app: appName, load: loadName, run,
              command: `node bench/tools/users.mjs ${args.join(' ').replace(/--port \d+/, '--port PORT')}`,
              ...r, serverCpuPct, generatorLimited, loadavg1: loadavg()[0] };
            ctx.record(row);
            rows.push(row);
            const l = r.latencyMs;
            console.log(`run ${run} ${appName.padEnd(5)} ${loadName.padEnd(11)} ${target.padEnd(20)} ${fmt(r.rps, 1)} req/s` +
              `  p50 ${fmt(l.p50, 1)} p95 ${fmt(l.p95, 1)} ms  fail ${r.failures}/${r.requests}  gen CPU ${r.generator.cpuPct}%` +
              ` loop p99 ${r.generator.loopDelayP99Ms} ms${generatorLimited ? ' GENERATOR-LIMITED' : ''}`);
          } catch (err) {
            console.log(`run ${run} ${appName} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
            ctx.record({ target, app: appName, load: loadName, run, failed: err.message.slice(0, 2000) });
          } finally {
            await stopProcess(s.proc);
          }
        }
      }
    }
    for (const appName of apps) {
      console.log(`\n## ${appName}: users thinking 5-15 s, ramp ${RAMP_S} s, ${ctx.duration} s per run (latency of requests after the ramp)`);
      const lines = [['users', 'target', 'runs', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failures', 'generator-limited runs']];
      for (const loadName of loads) for (const target of ctx.targets) {
        const rs = rows.filter((r) => r.app === appName && r.load === loadName && r.target === target);
        if (!rs.length) continue;
        lines.push([String(COUNTS[loadName]), target, String(rs.length), range(rs.map((r) => r.rps), 1),
          range(rs.map((r) => r.latencyMs.p50 ?? NaN), 1), range(rs.map((r) => r.latencyMs.p95 ?? NaN), 1),
          range(rs.map((r) => r.latencyMs.p99 ?? NaN), 1), String(rs.reduce((a, r) => a + r.failures, 0)),
          String(rs.filter((r) => r.generatorLimited).length)]);
      }
      printTable(lines);
    }
  },
};
