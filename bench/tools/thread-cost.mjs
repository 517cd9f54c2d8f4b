#!/usr/bin/env node
// Investigation tool (harness process): what the same handler costs on a process's main thread and on a worker thread, with no server around it.
// Usage: node bench/tools/thread-cost.mjs [--calls N] [--runs N]
//        LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 node bench/tools/thread-cost.mjs   (another allocator)
//
// The thread class runs the app on worker threads. This measures whether a worker thread itself
// runs a handler slower than a main thread, apart from corral's relaying: each workload runs
// --calls times in a fresh process, once on the main thread and once on a worker thread (the main
// thread idle, waiting), alternating, --runs times; printed: process CPU ms per call (every thread:
// the JS thread and V8's GC helpers), median [min-max], and the worker/main ratio.
//   cpu   bench/apps/cpu.mjs's handler work: SHA-256 rounds, one crypto Hash object per round
//         (about 1,600 native objects and their memory per call; calibrated to ~10 ms)
//   js    plain JavaScript of about the same length: small objects, JSON.stringify, arrays
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Plain-JS work of about 10 ms on this machine's cores. */
function jsWork(n = 48_000) {
  let s = 0;
  let a = [];
  for (let i = 0; i < n; i++) {
    const o = { i, v: Math.sqrt(i) };
    a.push(o);
    if (a.length > 100) a = [];
    s += JSON.stringify(o).length;
  }
  return s;
}

async function workload(name) {
  if (name === 'js') return () => jsWork();
  const { burn } = await import('../apps/cpu.mjs');
  return () => burn();
}

/** Runs the workload `calls` times after as many warm-up calls; process CPU and wall ms per call. */
async function measure(name, calls) {
  const work = await workload(name);
  for (let i = 0; i < calls; i++) work();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) work();
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000 / calls, wallMs: (performance.now() - t0) / calls };
}

if (!isMainThread) {
  parentPort.postMessage(await measure(workerData.name, workerData.calls));
} else if (process.argv[2] === '--child') {
  // One measurement in this fresh process: node thread-cost.mjs --child <name> <main|worker> <calls>
  const [, , , name, where, calls] = process.argv;
  const result = where === 'main'
    ? await measure(name, Number(calls))
    : await new Promise((resolve, reject) => {
      const w = new Worker(self, { workerData: { name, calls: Number(calls) } });
      w.once('message', resolve);
      w.once('error', reject);
    });
  process.stdout.write(JSON.stringify(result));
} else {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '200' }, runs: { type: 'string', default: '3' } } });
  const calls = Number(values.calls);
  const runs = Number(values.runs);
  // One calibration for every child (about 10 ms of CPU per call), as the classes scenario does.
  const { calibrateCpuApp } = await import('../scenarios/classes.mjs');
  const roundsPerMs = Number(process.env.CPU_ROUNDS_PER_MS) || calibrateCpuApp(root);
  const env = { ...process.env, CPU_ROUNDS_PER_MS: String(roundsPerMs) };
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const fmt = (xs) => `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`;
  console.log(`${calls} calls per measurement, ${runs} runs, cpu app at ${roundsPerMs.toFixed(1)} hash rounds per CPU-ms, ` +
    `allocator: ${process.env.LD_PRELOAD || 'glibc malloc (default)'}`);
  console.log('workload  main thread CPU ms/call   worker thread CPU ms/call   worker/main');
  for (const name of ['cpu', 'js']) {
    const cpu = { main: [], worker: [] };
    for (let r = 0; r < runs; r++) {
      for (const where of r % 2 === 0 ? ['main', 'worker'] : ['worker', 'main']) {
        const out = spawnSync(process.execPath, [self, '--child', name, where, String(calls)], { env, encoding: 'utf8', timeout: 120_000 });
        if (out.status !== 0) throw new Error(`${name} on ${where}: ${out.stderr || out.error}`);
        cpu[where].push(JSON.parse(out.stdout).cpuMs);
      }
    }
    const ratios = cpu.main.map((m, i) => cpu.worker[i] / m);
    console.log(`${name.padEnd(9)} ${fmt(cpu.main).padEnd(25)} ${fmt(cpu.worker).padEnd(27)} ${fmt(ratios)}`);
  }
}
