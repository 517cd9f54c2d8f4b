// Harness: one measured run = start a target, wait ready, (warm up), run wrk, stop, collect.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startProcess, stopProcess, track, waitReady } from './proc.mjs';
import { cpuMeter, rssMiB } from './procstat.mjs';
import { balance } from './results.mjs';
import { TARGETS } from './targets.mjs';
import { runWrk, wrkArgs } from './wrk.mjs';

/**
 * Start target `name` with per-worker counting on; returns { proc, port, readyMs, countsDir }.
 * `prefix` runs the target's command under another one (e.g. `taskset -c 0`); `app` serves another
 * app than the target's default (hello world), with `env` added to the target's environment.
 */
export async function startTarget(name, root, { prefix = [], app, env = {} } = {}) {
  const t = TARGETS[name];
  const port = await freePort();
  const countsDir = mkdtempSync(join(tmpdir(), 'corral-bench-counts-'));
  const proc = track(startProcess([...prefix, ...t.cmd(port, app)], { ...t.env, ...env, BENCH_COUNTS_DIR: countsDir }, root));
  try {
    const readyMs = await waitReady(proc, port);
    return { proc, port, readyMs, countsDir };
  } catch (err) {
    await stopProcess(proc);
    rmSync(countsDir, { recursive: true, force: true });
    throw new Error(`target ${name}: ${err.message}`);
  }
}

/** Stop it and read the per-process request counts the app wrote on exit. */
export async function stopTarget(started) {
  const { killed } = await stopProcess(started.proc);
  const files = readdirSync(started.countsDir)
    .map((f) => JSON.parse(readFileSync(join(started.countsDir, f), 'utf8')))
    .sort((a, b) => b.count - a.count);
  rmSync(started.countsDir, { recursive: true, force: true });
  return {
    counts: files.map((f) => f.count), conns: files.map((f) => f.connections),
    meanOpen: files.map((f) => f.meanOpen), cpuMs: files.map((f) => f.cpuMs), killed,
  };
}

/**
 * One run of `load` ({ name, threads, connections, headers }) against target `name`.
 * Warm-up requests carry x-bench-nocount so the counts cover the measured part only.
 */
export async function measureRun(name, load, { root, duration, warmup }) {
  const started = await startTarget(name, root);
  try {
    if (warmup > 0) {
      const warm = { ...load, headers: [...(load.headers ?? []), 'x-bench-nocount: 1'] };
      await runWrk(wrkArgs(warm, started.port, warmup), warmup);
      await sleep(200); // let warm-up connections close before the measured storm
    }
    const masterCpu = cpuMeter(started.proc.pid);
    const args = wrkArgs(load, started.port, duration);
    const wrk = await runWrk(args, duration);
    const masterCpuPct = masterCpu();
    const masterRssMiB = rssMiB(started.proc.pid);
    const { counts, conns, meanOpen, cpuMs, killed } = await stopTarget(started);
    return {
      command: wrk.command, rps: wrk.rps, requests: wrk.requests, latencyMs: wrk.latencyMs,
      errors: wrk.errors, errorTotal: wrk.errorTotal,
      counts, balance: balance(counts), conns, connBalance: balance(conns), workerCpuMs: cpuMs,
      meanOpen, openBalance: balance(meanOpen),
      masterCpuPct, masterRssMiB, readyMs: started.readyMs, killedAfterGrace: killed,
    };
  } catch (err) {
    await stopTarget(started).catch(() => {});
    throw err;
  }
}
