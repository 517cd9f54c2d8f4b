// Scenario (harness process): CPU time per request, two targets side by side.
//
// Throughput on this 2-core machine swings ±10 % from run to run (the load generator shares the
// cores, and the host is shared), far more than a few per cent of difference between two servers.
// This scenario measures cost instead, with both targets exposed to the same conditions at the same
// time: the two servers run at once, every one of their processes pinned to CPU 0, each loaded by
// its own `wrk -t1 -c64` (keep-alive) pinned to CPU 1. The scheduler time-slices CPU 0 between
// them, so neither gets a better core, cache or moment than the other; each round reads the CPU
// time of every thread of each target (/proc/<pid>/task/<tid>/schedstat, exact) and divides by the
// requests its wrk completed. Reported: CPU µs per request of each target, round by round, and the
// ratio second / first (the first target is the baseline), with the targets started in one order
// for half the rounds and in the other for the rest. Naming one target twice (an A/A run) shows
// the protocol's own spread.
//
// Loads (`--loads`, one per run): `constant` (default) is the hello-world app with 64 keep-alive
// connections per target; `cpu` is the CPU-bound app (about 10 ms of CPU per request, calibrated
// once and the same for both targets) with 8 connections each, which shows what a worker class adds
// around a handler that computes (a sync worker's connection per request, a thread worker's relay);
// `close` is hello world with `Connection: close` on every request, what a connection costs.
import { availableParallelism } from 'node:os';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, stopTarget } from '../lib/measure.mjs';
import { groupMembers } from '../lib/proc.mjs';
import { processCpuNs } from '../lib/procstat.mjs';
import { checkLoads, fmt, median, printTable, range } from '../lib/results.mjs';
import { runWrk, wrkArgs } from '../lib/wrk.mjs';
import { calibrateCpuApp } from './classes.mjs';

const SERVER_CPU = '0';
const WRK_CPU = '1';
const LOADS = {
  constant: { app: 'bench/apps/hello.mjs', threads: 1, connections: 64 },
  cpu: { app: 'bench/apps/cpu.mjs', threads: 1, connections: 8 },
  close: { app: 'bench/apps/hello.mjs', threads: 1, connections: 64, headers: ['Connection: close'] },
};

/** CPU ns of every thread of every process in the target's group, by process. */
function groupCpu(pgid) {
  return new Map(groupMembers(pgid).map((pid) => [pid, processCpuNs(pid)]));
}

/** Starts `order` (slot A first), warms both up, runs `rounds` rounds; always stops both. */
async function runPhase(ctx, load, order, rounds, phase) {
  const wrkLoad = { threads: load.threads, connections: load.connections, headers: load.headers };
  const slots = [];
  try {
    for (const name of order) {
      slots.push({ name, ...await startTarget(name, ctx.root, { prefix: ['taskset', '-c', SERVER_CPU], app: load.app, env: load.env }) });
    }
    const pinned = { prefix: ['taskset', '-c', WRK_CPU] };
    const loadBoth = (load, seconds, run) => {
      // Alternate which wrk starts first, so neither target always gets the head start.
      const wrks = [];
      for (const i of run % 2 ? [1, 0] : [0, 1]) wrks[i] = runWrk(wrkArgs(load, slots[i].port, seconds), seconds, pinned);
      return Promise.all(wrks);
    };
    if (ctx.warmup > 0) {
      await loadBoth({ ...wrkLoad, headers: [...(wrkLoad.headers ?? []), 'x-bench-nocount: 1'] }, ctx.warmup, 0);
      await sleep(200);
    }
    const out = [];
    for (let run = 0; run < rounds; run++) {
      const before = slots.map((s) => groupCpu(s.proc.pid));
      const wrks = await loadBoth(wrkLoad, ctx.duration, run);
      const after = slots.map((s) => groupCpu(s.proc.pid));
      const rows = slots.map((s, i) => {
        const processes = [...after[i]].map(([pid, { comm, ns }]) => ({
          pid, comm, cpuMs: Math.round((ns - (before[i].get(pid)?.ns ?? 0)) / 1e5) / 10,
        }));
        const cpuMs = processes.reduce((sum, p) => sum + p.cpuMs, 0);
        return { target: s.name, load: load.name, slot: i === 0 ? 'A' : 'B', phase, run, protocol: 'side-by-side, pinned', command: wrks[i].command,
          requests: wrks[i].requests, rps: wrks[i].rps, errorTotal: wrks[i].errorTotal, cpuMs, usPerReq: (cpuMs * 1000) / wrks[i].requests, processes };
      });
      const ratioBA = rows[1].usPerReq / rows[0].usPerReq;
      for (const row of rows) ctx.record({ ...row, ratioBA });
      console.log(`order ${phase} round ${run}: ${rows.map((r) => `${r.slot} ${r.target} ${fmt(r.usPerReq, 2)} µs/req (${r.requests} req)`).join(' | ')} | B/A ${fmt(ratioBA, 3)}`);
      out.push({ rows, ratioBA });
    }
    return out;
  } finally {
    for (const s of slots) await stopTarget(s);
  }
}

export default {
  describe: 'CPU per request of two targets served at once on one pinned core, wrk on the other (A/B of cost)',
  needsWrk: true,
  defaultRuns: 12,
  defaultDuration: 5,
  defaultTargets: ['cluster-app-w1', 'corral-w1'],

  async run(ctx) {
    if (ctx.targets.length !== 2) throw new Error(`cost compares exactly two targets, got ${ctx.targets.length}`);
    if (availableParallelism() < 2) throw new Error('cost needs 2 CPUs (servers on CPU 0, wrk on CPU 1)');
    try {
      execFileSync('taskset', ['-c', SERVER_CPU, 'true']);
    } catch {
      throw new Error('cost needs taskset (util-linux): apt-get install -y util-linux');
    }
    // Which target starts first and takes slot A can bias the ratio by a per cent or two (an early
    // A/A run read 0.97–0.98 in one order): so half the rounds run with the targets started in the
    // given order, half with them restarted in the other; the headline is the geometric mean of the
    // two halves' medians, in which that bias cancels.
    const [loadName, ...more] = checkLoads(ctx.loads ?? ['constant'], LOADS);
    if (more.length > 0) throw new Error(`cost measures one load per run (--loads one of: ${Object.keys(LOADS).join(', ')})`);
    const load = { name: loadName, ...LOADS[loadName] };
    if (loadName === 'cpu') {
      load.env = { CPU_ROUNDS_PER_MS: String(calibrateCpuApp(ctx.root)) };
      console.log(`cpu app: ${fmt(Number(load.env.CPU_ROUNDS_PER_MS), 1)} hash rounds per CPU-ms (CPU_ROUNDS_PER_MS for both targets)`);
    }
    const [first, second] = ctx.targets;
    const half = Math.max(1, Math.ceil(ctx.runs / 2));
    const phases = [];
    // By index, not name, so that an A/A run (one target named twice) reads right.
    for (const [phase, slotOf] of [[0, [0, 1]], [1, [1, 0]]]) {
      const order = slotOf.map((t) => ctx.targets[t]);
      const rounds = await runPhase(ctx, load, order, half, phase);
      // The cost of the second target over the first, whichever slot each had.
      const ratios = rounds.map((r) => (phase === 1 ? r.ratioBA ** -1 : r.ratioBA));
      // usPerReq[t]: target t's (0: first, 1: second) cost, round by round.
      phases.push({ order, ratios, usPerReq: [0, 1].map((t) => rounds.map((r) => r.rows[slotOf.indexOf(t)].usPerReq)) });
    }
    const ratio = Math.sqrt(median(phases[0].ratios) * median(phases[1].ratios));
    ctx.record({ load: 'summary', workload: loadName, targets: ctx.targets, runs: half * 2, duration: ctx.duration,
      ratio, phases: phases.map((p) => ({ order: p.order, medianRatio: median(p.ratios), ratios: p.ratios })) });
    const what = { constant: 'keep-alive hello world', cpu: 'keep-alive CPU-bound app (~10 ms per request)', close: 'hello world with Connection: close' }[loadName];
    console.log(`\n## cost: CPU µs per request of ${second} over ${first}, ${what}; ${half} rounds of ${ctx.duration} s in each order, ` +
      `both targets at once on CPU ${SERVER_CPU}, wrk -t1 -c${load.connections} each on CPU ${WRK_CPU}`);
    const costOf = (t) => phases.flatMap((p) => p.usPerReq[t]);
    printTable([['order (slot A, slot B)', `${first} µs/req`, `${second} µs/req`, `ratio ${second} / ${first} median [min–max]`],
      ...phases.map((p) => [p.order.join(', '), range(p.usPerReq[0], 2), range(p.usPerReq[1], 2), range(p.ratios, 3)]),
      ['both (geometric mean of the medians)', range(costOf(0), 2), range(costOf(1), 2), fmt(ratio, 3)]]);
  },
};
