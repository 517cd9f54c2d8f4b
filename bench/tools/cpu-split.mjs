#!/usr/bin/env node
// Investigation tool (harness process): where a target's CPU goes per request, by kind of thread, sampled with perf under wrk.
// Usage: node bench/tools/cpu-split.mjs <target>... [--load cpu|cpu-close|constant] [--duration S] [--warmup S] [--rounds N]
//
// For each target in turn: start it serving the load's app (the classes scenario's workloads, the
// CPU-bound app calibrated as there), warm up, then run wrk and, during it, `perf record -a` (every
// CPU, 499 samples/s, no call graphs). Each sample is put in one group by its thread: the master
// (the process group leader), worker main threads (thread id = process id), threads corral starts
// in a worker (they carry the worker's process title, or on Node 24 the name 'WorkerThread': the
// thread class's app threads, and every class's watchdog thread), other threads of the server (V8's GC helpers, libuv's pool: named
// "node"; every thread of a bare cluster's worker but its main one), the generator
// (wrk), and everything else. Printed: CPU ms per request per group (samples / 499 / requests),
// and the share of the machine. perf must be installed (Debian: linux-perf) and allowed to sample
// system-wide (run as root, or kernel.perf_event_paranoid <= 0). Sampling costs a little CPU
// itself: compare targets measured by the same command, not with the scenario's numbers.
// --warmup: seconds of load before sampling (the thread class's main-thread code needs ~20 s to
// reach V8's optimizing tier at ~100 requests/s). --rounds N: N fresh servers per target, the
// targets' order reversed every other round, then each group's median [min-max] per target.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupMembers, stopProcess } from '../lib/proc.mjs';
import { range } from '../lib/results.mjs';
import { TARGETS } from '../lib/targets.mjs';
import { runWrk, wrkArgs } from '../lib/wrk.mjs';
import { calibrateCpuApp, startApp, WORKLOADS } from '../scenarios/classes.mjs';

const HZ = 499;
const root = fileURLToPath(new URL('../..', import.meta.url));
const { values: opts, positionals: targets } = parseArgs({
  allowPositionals: true,
  options: {
    load: { type: 'string', default: 'cpu' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
  },
});
const load = WORKLOADS[opts.load];
const bad = targets.filter((t) => !TARGETS[t]);
if (!load || targets.length === 0 || bad.length > 0) {
  console.error(`usage: cpu-split.mjs <target>... [--load ${Object.keys(WORKLOADS).join('|')}] [--duration S] [--warmup S] [--rounds N]` +
    (bad.length ? `\nunknown target(s): ${bad.join(', ')}` : ''));
  process.exit(2);
}
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const rounds = Number(opts.rounds);
const env = load.app === WORKLOADS.cpu.app ? { CPU_ROUNDS_PER_MS: String(calibrateCpuApp(root)) } : {};
const dir = mkdtempSync(join(tmpdir(), 'corral-cpu-split-'));
const GROUPS = ['master', 'worker main threads', 'corral threads', 'other server threads', 'generator (wrk)', 'rest of the machine'];

/** Which group a sample's thread belongs to. */
function groupOf(pid, tid, comm, leader, members) {
  if (!members.has(pid)) return comm === 'wrk' ? 'generator (wrk)' : 'rest of the machine';
  if (pid === leader) return 'master';
  if (tid === pid) return 'worker main threads';
  // Threads a worker starts after setting its title inherit it: app threads, the watchdog thread.
  // Node 24 names every worker_threads thread 'WorkerThread' instead (and V8's helpers 'V8Worker').
  if (comm.startsWith('corral') || comm === 'WorkerThread') return 'corral threads';
  return 'other server threads';
}

/** Per target: req/s and each group's CPU ms per request, one entry per round. */
const results = new Map(targets.map((t) => [t, { rps: [], groups: Object.fromEntries(GROUPS.map((g) => [g, []])) }]));

/** One fresh server of `target`: warm up, sample, print and record the split. */
async function measure(target, round) {
  const s = await startApp({ root }, target, load.app, env);
  const data = join(dir, `${target}.data`);
  try {
    await runWrk(wrkArgs(load, s.port, warmup), warmup);
    await sleep(300);
    // The server's processes, found before sampling (workers are up by now).
    const members = new Set(groupMembers(s.proc.pid));
    const perf = spawn('perf', ['record', '-a', '-F', String(HZ), '-q', '-o', data, '--', 'sleep', String(duration - 1)],
      { stdio: 'ignore' });
    const perfDone = new Promise((resolve, reject) => { perf.on('exit', resolve); perf.on('error', reject); });
    const wrk = await runWrk(wrkArgs(load, s.port, duration), duration);
    await perfDone;
    // perf samples the first duration - 1 s of the run (it starts with wrk and must end before it).
    const requestsSampled = wrk.rps * (duration - 1);
    const lines = execFileSync('perf', ['script', '-i', data, '-F', 'pid,tid,comm'], { encoding: 'utf8', maxBuffer: 1 << 28 })
      .split('\n').filter(Boolean);
    const counts = Object.fromEntries(GROUPS.map((g) => [g, 0]));
    for (const line of lines) {
      // "<comm> <pid>/<tid>" (the comm may contain spaces)
      const m = line.trim().match(/^(.*\S)\s+(\d+)\/(\d+)$/);
      if (!m) continue;
      counts[groupOf(Number(m[2]), Number(m[3]), m[1], s.proc.pid, members)]++;
    }
    const total = lines.length;
    const r = results.get(target);
    r.rps.push(wrk.rps);
    console.log(`\n${target}${rounds > 1 ? ` (round ${round + 1})` : ''}: ${wrk.rps.toFixed(0)} req/s; ${total} samples`);
    console.log('  group                     CPU ms per request   share of the machine');
    for (const g of GROUPS) {
      const msPerReq = (1000 * counts[g]) / HZ / requestsSampled;
      r.groups[g].push(msPerReq);
      console.log(`  ${g.padEnd(25)} ${msPerReq.toFixed(3).padStart(10)}           ${((100 * counts[g]) / total).toFixed(1).padStart(5)} %`);
    }
  } finally {
    await stopProcess(s.proc);
  }
}

try {
  console.log(`load ${opts.load}: wrk ${wrkArgs(load, 'PORT', duration).join(' ')}; ${warmup} s of warm-up; perf at ${HZ} Hz on every CPU`);
  for (let round = 0; round < rounds; round++) {
    for (const target of round % 2 ? [...targets].reverse() : targets) await measure(target, round);
  }
  if (rounds > 1) {
    console.log(`\nover ${rounds} rounds: median [min-max]`);
    for (const [target, r] of results) {
      console.log(`\n${target}: ${range(r.rps, 0)} req/s`);
      for (const g of GROUPS) console.log(`  ${g.padEnd(25)} ${range(r.groups[g], 3)} CPU ms per request`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
