// Scenario (harness process): saturation throughput of framework-free apps, corral against every peer.
//   keepalive-c64: wrk -t1 -c64 keep-alive; close-c64: the same with `Connection: close`.
// Node targets serve bench/apps/hello.mjs (plain node:http), Gunicorn serves flask_apps:raw (plain
// WSGI), nginx answers `return 200`: no framework anywhere, so the servers themselves are compared.
// Each peer runs with its documented settings (see bench/lib/targets.mjs).
import { checkLoads, fmt, interleaved, printSummary } from '../lib/results.mjs';
import { wrkRun } from './classes.mjs';
import { LOADS } from './distribution.mjs';

const HELLO = 'bench/apps/hello.mjs';
const appFor = (target) => (target.startsWith('gunicorn-') ? 'raw' : HELLO);

export default {
  describe: 'wrk saturation, keep-alive and Connection: close, framework-free apps, corral vs Node, PM2, Gunicorn, nginx',
  needsWrk: true,
  defaultRuns: 3,
  defaultDuration: 8,
  baseline: 'node-cluster-rr',
  defaultTargets: ['corral', 'node-cluster-rr', 'node-single', 'pm2-cluster-w2', 'gunicorn-sync-w4',
    'gunicorn-gthread-w4t8', 'gunicorn-gevent-w4', 'nginx-return200'],

  async run(ctx) {
    const loads = checkLoads(ctx.loads ?? ['keepalive-c64', 'close-c64'], LOADS);
    const rows = [];
    for (const { run, loadName, target } of interleaved(ctx.targets, ctx.runs, loads)) {
      const load = { ...LOADS[loadName], app: appFor(target) };
      let r;
      try {
        r = await wrkRun(ctx, target, load, { duration: ctx.duration, warmup: ctx.warmup });
      } catch (err) {
        console.log(`run ${run} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
        ctx.record({ target, load: loadName, run, failed: err.message.slice(0, 2000) });
        continue;
      }
      ctx.record({ target, load: loadName, run, app: load.app, ...r });
      rows.push({ group: `${loadName}: ${r.command.replace(/http:\S+/, 'URL')}`, target, run, rps: r.rps,
        p50: r.latencyMs.p50, p99: r.latencyMs.p99, errors: r.errorTotal });
      console.log(`run ${run} ${loadName.padEnd(14)} ${target.padEnd(24)} ${fmt(r.rps).padStart(6)} req/s` +
        `  p99 ${fmt(r.latencyMs.p99, 2)} ms  err ${r.errorTotal}  server CPU ${fmt(r.serverCpuPct)}%` +
        `  wrk CPU ${fmt(r.generator.cpuPct)}%${r.generator.limited ? ' GENERATOR-LIMITED' : ''}`);
    }
    printSummary(rows, ctx.baseline);
  },
};
