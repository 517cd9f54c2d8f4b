// Scenario (harness process): steady-state throughput — every target started once, then short wrk rounds alternated.
//
// `distribution` starts a fresh server for each measured run, so its numbers include a process's
// first seconds (JIT warm-up, the connect burst). A server in production runs for days; this
// scenario measures that state: all targets up at once, each warmed up, then `--runs` rounds of
// `--duration` seconds each, the order reversed every other round, ratios taken round by round.
// Per-worker request balance covers every measured round of the run.
import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, stopTarget } from '../lib/measure.mjs';
import { balance, checkLoads, fmt, printSummary } from '../lib/results.mjs';
import { runWrk, wrkArgs } from '../lib/wrk.mjs';
import { calibrateCpuApp } from './classes.mjs';
import { LOADS as HELLO_LOADS } from './distribution.mjs';

/**
 * The distribution scenario's loads on the hello app, and `cpu-c64`: the classes scenario's CPU-bound
 * app (about 10 ms of CPU per request, calibrated once for every target) under 64 keep-alive
 * connections, where a run-to-run drift of several per cent hides a gap of a few.
 */
const LOADS = { ...HELLO_LOADS, 'cpu-c64': { threads: 1, connections: 64, app: 'bench/apps/cpu.mjs', settleMs: 1500 } };

export default {
  describe: 'steady-state req/s of long-running targets, short wrk rounds alternated (A B B A ...)',
  needsWrk: true,
  defaultRuns: 16,
  defaultDuration: 2,
  baseline: 'node-cluster-rr',
  defaultTargets: ['corral', 'node-cluster-rr', 'node-cluster-none'],

  async run(ctx) {
    const loads = checkLoads(ctx.loads ?? ['keepalive-c64', 'close-c64'], LOADS);
    const rows = [];
    const totals = [];
    for (const loadName of loads) {
      const load = LOADS[loadName];
      const started = new Map();
      const app = load.app;
      const env = app ? { CPU_ROUNDS_PER_MS: String(calibrateCpuApp(ctx.root)) } : {};
      try {
        for (const t of ctx.targets) started.set(t, await startTarget(t, ctx.root, { app, env }));
        if (ctx.warmup > 0) {
          for (const [, s] of started) {
            const warm = { ...load, headers: [...(load.headers ?? []), 'x-bench-nocount: 1'] };
            await runWrk(wrkArgs(warm, s.port, ctx.warmup), ctx.warmup);
          }
          await sleep(200);
        }
        for (let run = 0; run < ctx.runs; run++) {
          const order = run % 2 === 0 ? ctx.targets : [...ctx.targets].reverse();
          for (const target of order) {
            // When wrk stops, the requests its connections sent last are still in the server: a bare
            // worker still runs every one of them (up to 64 x 10 ms with the CPU-bound app). Let that
            // finish before the next round, or it runs in the next target's first half second.
            if (load.settleMs) await sleep(load.settleMs);
            const wrk = await runWrk(wrkArgs(load, started.get(target).port, ctx.duration), ctx.duration);
            const row = { target, load: loadName, run, protocol: 'steady', ...(app ? { app, env } : {}), command: wrk.command, rps: wrk.rps,
              latencyMs: wrk.latencyMs, errors: wrk.errors, errorTotal: wrk.errorTotal };
            ctx.record(row);
            rows.push({ group: `${loadName}: ${wrk.command.replace(/http:\S+/, 'URL')} (steady)`, target, run,
              rps: wrk.rps, p50: wrk.latencyMs.p50, p99: wrk.latencyMs.p99, errors: wrk.errorTotal });
            console.log(`run ${run} ${loadName.padEnd(14)} ${target.padEnd(20)} ${fmt(wrk.rps).padStart(6)} req/s  p99 ${fmt(wrk.latencyMs.p99, 2)} ms  err ${wrk.errorTotal}`);
          }
        }
      } finally {
        for (const [target, s] of started) {
          const { counts, conns } = await stopTarget(s).catch(() => ({ counts: [], conns: [] }));
          const total = { target, load: loadName, protocol: 'steady-totals', runs: ctx.runs, duration: ctx.duration,
            counts, balance: balance(counts), conns };
          ctx.record(total);
          totals.push(total);
        }
      }
    }
    printSummary(rows, ctx.baseline);
    console.log('\nPer-worker requests over all measured rounds:');
    for (const t of totals) console.log(`  ${t.load.padEnd(14)} ${t.target.padEnd(20)} ${t.counts.join('/')}  balance ${fmt(t.balance, 2)}`);
  },
};
