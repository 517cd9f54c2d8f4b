// Scenario (harness process): the watchdog's cost. Hello world, wrk -t1 -c64 keep-alive, on
// corral -w 2 with default settings (`corral`) and with `--timeout 0 --blocked-warning 0`
// (`corral-no-watchdog`: no watchdog thread), in interleaved pairs (order alternating
// AB, BA, ...). Reports the median over pairs of the paired ratio default / no-watchdog.
import { fmt, median, printTable, range } from '../lib/results.mjs';
import { WORKLOADS, wrkRun } from './classes.mjs';

export default {
  describe: 'hello-world req/s with and without the watchdog thread, paired and interleaved',
  needsWrk: true,
  defaultRuns: 6,
  defaultDuration: 8,
  baseline: 'corral-no-watchdog',
  defaultTargets: ['corral', 'corral-no-watchdog'],

  async run(ctx) {
    const [a, b] = ctx.targets;
    const load = WORKLOADS.constant;
    const pairs = [];
    for (let run = 0; run < ctx.runs; run++) {
      const got = {};
      for (const target of run % 2 ? [b, a] : [a, b]) {
        try {
          const res = await wrkRun(ctx, target, load, { duration: ctx.duration, warmup: ctx.warmup });
          got[target] = res;
          ctx.record({ target, load: 'constant', run, ...res });
          console.log(`pair ${run} ${target.padEnd(20)} ${fmt(res.rps).padStart(6)} req/s  p99 ${fmt(res.latencyMs.p99, 2)} ms  err ${res.errorTotal}`);
        } catch (err) {
          console.log(`pair ${run} ${target}: FAILED ${err.message.split('\n')[0]}`);
          ctx.record({ target, load: 'constant', run, failed: err.message.slice(0, 2000) });
        }
      }
      if (got[a] && got[b]) pairs.push({ run, a: got[a].rps, b: got[b].rps, ratio: got[a].rps / got[b].rps });
    }
    ctx.record({ load: 'summary', pairs, medianRatio: median(pairs.map((p) => p.ratio)) });
    console.log(`\n## watchdog: ${a} / ${b}, hello world, wrk -t 1 -c 64 -d ${ctx.duration}s`);
    printTable([['pairs', `${a} req/s`, `${b} req/s`, `paired ratio ${a}/${b}`],
      [pairs.length, range(pairs.map((p) => p.a)), range(pairs.map((p) => p.b)), range(pairs.map((p) => p.ratio), 3)]]);
  },
};
