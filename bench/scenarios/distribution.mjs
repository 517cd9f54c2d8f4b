// Scenario (harness process): how workers share connections — throughput, tail, per-worker balance.
import { measureRun } from '../lib/measure.mjs';
import { checkLoads, fmt, interleaved, median, printSummary, range } from '../lib/results.mjs';

const CLOSE = 'Connection: close';

/** Load shapes; wrk -t1 leaves the second core mostly to the server. */
export const LOADS = {
  'keepalive-c64': { threads: 1, connections: 64 },
  'close-c64': { threads: 1, connections: 64, headers: [CLOSE] },
  'keepalive-c8': { threads: 1, connections: 8 },
  'keepalive-c256': { threads: 1, connections: 256 },
};

export default {
  describe: 'req/s, p50/p99, errors and per-worker request balance under keep-alive and Connection: close',
  needsWrk: true,
  defaultRuns: 3,
  defaultDuration: 10,
  baseline: 'node-cluster-rr',
  defaultTargets: ['node-single', 'node-cluster-rr', 'node-cluster-none',
    'node-cluster-none-single-accept', 'node-cluster-none-shed', 'corral',
    'node24-cluster-rr', 'node24-cluster-none', 'node24-reuseport'],

  async run(ctx) {
    const loads = checkLoads(ctx.loads ?? Object.keys(LOADS), LOADS);
    const rows = [];
    for (const { run, loadName, target } of interleaved(ctx.targets, ctx.runs, loads)) {
      const r = await measureOne(ctx, target, loadName, run);
      if (r) rows.push(r);
    }
    printSummary(rows, ctx.baseline, [
      { title: 'conn balance', cell: (rs) => range(rs.map((r) => r.connBalance), 2) },
      { title: 'conns (median run)', cell: (rs) => medianRun(rs).conns?.join('/') ?? '-' },
      { title: 'open balance', cell: (rs) => range(rs.map((r) => r.openBalance), 2) },
      { title: 'mean open (median run)', cell: (rs) => medianRun(rs).meanOpen?.join('/') ?? '-' },
      { title: 'master CPU %', cell: (rs) => fmt(median(rs.map((r) => r.masterCpuPct)), 0) },
    ]);
  },
};

async function measureOne(ctx, target, loadName, run) {
  const load = LOADS[loadName];
  let res;
  try {
    res = await measureRun(target, load, ctx);
  } catch (err) {
    console.log(`run ${run} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
    ctx.record({ target, load: loadName, run, failed: err.message });
    return null;
  }
  ctx.record({ target, load: loadName, run, ...res });
  console.log(`run ${run} ${loadName.padEnd(14)} ${target.padEnd(32)} ${fmt(res.rps).padStart(6)} req/s` +
    `  p99 ${fmt(res.latencyMs.p99, 2)} ms  err ${res.errorTotal}  reqs ${res.counts.join('/')}` +
    `  conns ${res.conns.join('/')}  open ${res.meanOpen.join('/')}  cpu ms ${res.workerCpuMs.join('/')}` +
    `  master ${fmt(res.masterCpuPct)}%`);
  return {
    group: `${loadName}: ${res.command.replace(/http:\S+/, 'URL')}`, target, run, rps: res.rps,
    p50: res.latencyMs.p50, p99: res.latencyMs.p99, errors: res.errorTotal,
    balance: res.balance, counts: res.counts, masterCpuPct: res.masterCpuPct,
    connBalance: res.connBalance, conns: res.conns, openBalance: res.openBalance, meanOpen: res.meanOpen,
  };
}

function medianRun(rs) {
  return [...rs].sort((a, b) => a.rps - b.rps)[rs.length >> 1] ?? {};
}
