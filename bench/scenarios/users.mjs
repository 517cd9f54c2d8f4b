// Scenario (harness process): the seed study's user model — N users, each thinking 5-15 s between
// requests, ramped over 10 s — at 10, 100, 1,000 and 10,000 users, per target and app.
// Loads (`--loads`): users-10, users-100, users-1000, users-10000 (default: all). Apps (`BENCH_APPS`,
// comma-separated, default hello,io,cpu): hello = apps/hello.mjs, io = apps/io.mjs (waits 1 s),
// cpu = apps/cpu.mjs (10 ms of CPU, calibrated once per run); Gunicorn targets serve their Flask
// twins. Generator (`BENCH_GENERATOR`, default node): node = bench/tools/users.mjs, under the
// raised fd limit, recording its CPU and event-loop delay (a run whose loop was late by more than
// 50 ms at p99 is flagged generator-limited); locust = locust's FastHttpUser with the same model
// (bench/tools/locustfile.py, `--reset-stats` so only requests after the ramp count), for the
// cross-check; a locust run above 90 % of a core is flagged generator-limited.
// Every run records the peak RSS of the target's whole process tree (sampled every 250 ms) and,
// for Node targets, the requests each worker served.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureApt } from '../lib/peers.mjs';
import { TARGETS } from '../lib/targets.mjs';
import { groupMembers, runJsonTool, startProcess, stopProcess, track } from '../lib/proc.mjs';
import { rssMiB } from '../lib/procstat.mjs';
import { checkLoads, fmt, printTable, range, rotated } from '../lib/results.mjs';
import { calibrateCpuApp, groupCpu, startApp, withUlimit } from './classes.mjs';

const COUNTS = { 'users-10': 10, 'users-100': 100, 'users-1000': 1000, 'users-10000': 10000 };
const APPS = { hello: 'bench/apps/hello.mjs', io: 'bench/apps/io.mjs', cpu: 'bench/apps/cpu.mjs' };
const GENERATORS = ['node', 'locust'];
const RAMP_S = 10;
const LOCUST = '/usr/bin/locust';

const runUsers = (root, args, durationS) =>
  runJsonTool(withUlimit([process.execPath, 'bench/tools/users.mjs', ...args]), root, durationS + 60);

/** The same user model driven by locust (headless); returns what users.mjs returns, from locust's CSV. */
async function runLocust(root, port, users, durationS) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-locust-'));
  const args = ['-f', 'bench/tools/locustfile.py', '--headless', '-u', String(users), '-r', String(users / RAMP_S),
    '-t', `${durationS}s`, '--host', `http://127.0.0.1:${port}`, '--csv', join(dir, 'r'), '--reset-stats',
    '--only-summary', '--loglevel', 'WARNING'];
  const proc = track(startProcess(withUlimit([LOCUST, ...args]), {}, root));
  const t0 = performance.now();
  let cpu = 0;
  const guard = setTimeout(() => stopProcess(proc), (durationS + 60) * 1000);
  // Sampled while it runs: once it has exited there is nothing left to read.
  const meter = setInterval(() => { cpu = Math.max(cpu, groupCpu(proc.pid)); }, 500);
  await proc.exited;
  clearTimeout(guard);
  clearInterval(meter);
  const wall = (performance.now() - t0) / 1000;
  try {
    const lines = readFileSync(join(dir, 'r_stats.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const col = (name) => lines[0].indexOf(name);
    const agg = lines.find((l) => l[1] === 'Aggregated');
    const num = (name) => Number(agg[col(name)]);
    const requests = num('Request Count');
    const cpuPct = Math.round((1000 * cpu) / wall) / 10;
    return {
      users, rampS: RAMP_S, durationS, waitS: [5, 15], requests, failures: num('Failure Count'), errorKinds: {},
      rps: Math.round(num('Requests/s') * 10) / 10,
      latencyMs: { min: num('Min Response Time'), p50: num('50%'), mean: Math.round(num('Average Response Time') * 100) / 100,
        p95: num('95%'), p99: num('99%'), max: num('Max Response Time') },
      generator: { name: 'locust', cpuPct, limited: cpuPct > 90 },
    };
  } catch (err) {
    throw new Error(`locust gave no statistics (${err.message}):\n${proc.log.join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Samples the summed RSS of a process group; call the result to stop and get the peak (MiB). */
function peakRss(pgid) {
  let peak = 0;
  const sample = () => {
    let sum = 0;
    for (const pid of groupMembers(pgid)) {
      try { sum += rssMiB(pid); } catch { /* exited */ }
    }
    peak = Math.max(peak, sum);
  };
  sample();
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    sample();
    return Math.round(peak);
  };
}

/** The per-worker request counts the Node apps wrote on exit (see bench/apps/counting.mjs). */
function readCounts(dir) {
  try {
    return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).count).sort((a, b) => b - a);
  } catch {
    return [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default {
  describe: "the seed's user model (think 5-15 s, 10 s ramp) at 10-10,000 users; median, p95, failures",
  needsWrk: false,
  defaultRuns: 3,
  defaultDuration: 25,
  baseline: 'cluster-app-w2',
  defaultTargets: ['corral-async-w2', 'corral-sync-w4', 'corral-thread-w2t2', 'cluster-app-w2', 'node-single',
    'pm2-cluster-w2', 'gunicorn-sync-w4', 'gunicorn-gthread-w4t8', 'gunicorn-gevent-w1', 'gunicorn-gevent-w4',
    'nginx-return200'],

  async run(ctx) {
    const loads = checkLoads(ctx.loads ?? Object.keys(COUNTS), COUNTS);
    const apps = (process.env.BENCH_APPS ?? 'hello,io,cpu').split(',');
    for (const a of apps) if (!APPS[a]) throw new Error(`unknown app ${a} in BENCH_APPS; known: ${Object.keys(APPS).join(', ')}`);
    const generator = process.env.BENCH_GENERATOR ?? 'node';
    if (!GENERATORS.includes(generator)) throw new Error(`unknown BENCH_GENERATOR ${generator}; known: ${GENERATORS.join(', ')}`);
    if (generator === 'locust') ensureApt(['python3-locust']);
    const appEnv = apps.includes('cpu') ? { CPU_ROUNDS_PER_MS: String(calibrateCpuApp(ctx.root)) } : {};
    const rows = [];
    for (let run = 0; run < ctx.runs; run++) {
      for (const appName of apps) for (const loadName of loads) {
        const order = rotated(ctx.targets, run);
        for (const target of order) {
          const only = TARGETS[target].onlyApp;
          if (only && only !== APPS[appName]) continue;
          const countsDir = mkdtempSync(join(tmpdir(), 'corral-bench-counts-'));
          let s;
          try {
            s = await startApp(ctx, target, APPS[appName], { ...appEnv, BENCH_COUNTS_DIR: countsDir });
          } catch (err) {
            console.log(`run ${run} ${appName} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
            ctx.record({ target, app: appName, load: loadName, run, generator: { name: generator }, failed: err.message.slice(0, 2000) });
            rmSync(countsDir, { recursive: true, force: true });
            continue;
          }
          let row = null;
          try {
            await sleep(300);
            const users = COUNTS[loadName];
            const args = ['--port', String(s.port), '--users', String(users), '--ramp', String(RAMP_S),
              '--duration', String(ctx.duration)];
            const cpu0 = groupCpu(s.proc.pid);
            const rss = peakRss(s.proc.pid);
            const t0 = performance.now();
            const r = generator === 'locust' ? await runLocust(ctx.root, s.port, users, ctx.duration)
              : await runUsers(ctx.root, args, ctx.duration);
            const serverCpuPct = (100 * (groupCpu(s.proc.pid) - cpu0)) / ((performance.now() - t0) / 1000);
            const generatorLimited = generator === 'locust' ? r.generator.limited : r.generator.loopDelayP99Ms > 50;
            const command = generator === 'locust'
              ? `locust -f bench/tools/locustfile.py --headless -u ${users} -r ${users / RAMP_S} -t ${ctx.duration}s --reset-stats`
              : `node bench/tools/users.mjs ${args.join(' ').replace(/--port \d+/, '--port PORT')}`;
            r.generator.name = generator;
            row = { target, app: appName, load: loadName, run, command, ...r, serverCpuPct,
              peakRssMiB: rss(), generatorLimited, loadavg1: loadavg()[0] };
            const l = r.latencyMs;
            console.log(`run ${run} ${appName.padEnd(5)} ${loadName.padEnd(11)} ${target.padEnd(20)} ${fmt(r.rps, 1)} req/s` +
              `  p50 ${fmt(l.p50, 1)} p95 ${fmt(l.p95, 1)} ms  fail ${r.failures}/${r.requests}  ${generator} CPU ${r.generator.cpuPct}%` +
              `${generatorLimited ? ' GENERATOR-LIMITED' : ''}  RSS ${row.peakRssMiB} MiB`);
          } catch (err) {
            console.log(`run ${run} ${appName} ${loadName} ${target}: FAILED ${err.message.split('\n')[0]}`);
            ctx.record({ target, app: appName, load: loadName, run, generator: { name: generator }, failed: err.message.slice(0, 2000) });
          } finally {
            await stopProcess(s.proc);
            const perWorker = readCounts(countsDir);
            if (row) {
              ctx.record({ ...row, perWorkerRequests: perWorker });
              rows.push(row);
            }
          }
        }
      }
    }
    for (const appName of apps) {
      console.log(`\n## ${appName}: users thinking 5-15 s, ramp ${RAMP_S} s, ${ctx.duration} s per run, ${generator} generator (latency of requests after the ramp)`);
      const lines = [['users', 'target', 'runs', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failures', 'peak RSS MiB', 'generator-limited runs']];
      for (const loadName of loads) for (const target of ctx.targets) {
        const rs = rows.filter((r) => r.app === appName && r.load === loadName && r.target === target);
        if (!rs.length) continue;
        lines.push([String(COUNTS[loadName]), target, String(rs.length), range(rs.map((r) => r.rps), 1),
          range(rs.map((r) => r.latencyMs.p50 ?? NaN), 1), range(rs.map((r) => r.latencyMs.p95 ?? NaN), 1),
          range(rs.map((r) => r.latencyMs.p99 ?? NaN), 1), String(rs.reduce((a, r) => a + r.failures, 0)),
          range(rs.map((r) => r.peakRssMiB), 0),
          String(rs.filter((r) => r.generatorLimited).length)]);
      }
      printTable(lines);
    }
  },
};
