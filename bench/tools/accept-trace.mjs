#!/usr/bin/env node
// Investigation tool (harness process): strace a target's accept4/epoll/nanosleep calls under a wrk burst.
// Usage: node bench/tools/accept-trace.mjs <target> [wrk -H header...] [--connections N] [--duration S]
//
// Prints, per process: successful accepts, accept4 calls that found the queue empty (EAGAIN:
// the losers of a thundering-herd wake-up), the longest run of accepts with no epoll_wait
// in between (1 = libuv takes one connection per wake-up), and nanosleep calls (what
// UV_TCP_SINGLE_ACCEPT=1 used to add after each accept). Then, merging every process's
// accepts in time order, the longest streak of connections taken by one process in a row
// while another could have taken them. strace slows every syscall down, so read the shape
// of the numbers, not the rates.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startProcess, stopProcess, track, waitReady } from '../lib/proc.mjs';
import { TARGETS } from '../lib/targets.mjs';
import { runWrk, wrkArgs } from '../lib/wrk.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { connections: { type: 'string', default: '64' }, duration: { type: 'string', default: '2' },
    header: { type: 'string', short: 'H', multiple: true } },
});
const target = TARGETS[positionals[0]];
if (!target) {
  console.error(`usage: accept-trace.mjs <target> [-H header] [--connections N] [--duration S]\n` +
    `targets: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'corral-accept-trace-'));
const port = await freePort();
const cmd = ['strace', '-ff', '-qq', '-ttt', '-e', 'trace=accept4,accept,epoll_wait,epoll_pwait,nanosleep,clock_nanosleep',
  '-o', join(dir, 't'), ...target.cmd(port)];
const proc = track(startProcess(cmd, target.env, root));
try {
  await waitReady(proc, port, 30000);
  await sleep(500);
  const duration = Number(opts.duration);
  const load = { threads: 1, connections: Number(opts.connections), headers: opts.header ?? [] };
  const wrk = await runWrk(wrkArgs(load, port, duration), duration);
  console.log(`${wrk.command}\n  ${wrk.rps} req/s under strace, errors ${wrk.errorTotal}`);
} finally {
  await stopProcess(proc);
}

console.log('pid      accepted  EAGAIN  longest-accept-run  nanosleep');
const accepts = []; // [time, pid] of every successful accept
for (const file of readdirSync(dir)) {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  let ok = 0, eagain = 0, sleeps = 0, run = 0, longest = 0;
  for (const stamped of lines) {
    const line = stamped.replace(/^[\d.]+ /, '');
    if (/^accept4?\(/.test(line)) {
      if (/= \d+$/.test(line)) {
        ok++; run++; longest = Math.max(longest, run);
        accepts.push([Number(stamped.split(' ')[0]), file.slice(2)]);
      } else if (/EAGAIN/.test(line)) eagain++;
    } else if (/^epoll_p?wait\(/.test(line)) {
      run = 0;
    } else if (/nanosleep\(/.test(line)) {
      sleeps++;
    }
  }
  if (ok + eagain + sleeps > 0) {
    console.log(`${file.slice(2).padEnd(8)} ${String(ok).padStart(8)}  ${String(eagain).padStart(6)}  ` +
      `${String(longest).padStart(18)}  ${String(sleeps).padStart(9)}`);
  }
}
accepts.sort((a, b) => a[0] - b[0]);
let streak = 0, best = { n: 0 };
accepts.forEach(([t, pid], i) => {
  streak = i > 0 && accepts[i - 1][1] === pid ? streak + 1 : 1;
  if (streak > best.n) best = { n: streak, pid, ms: (t - accepts[i - streak + 1][0]) * 1000 };
});
console.log(`longest streak of consecutive accepts by one process: ${best.n} (pid ${best.pid}, ` +
  `over ${best.ms?.toFixed(1)} ms); first 64 in order: ` +
  accepts.slice(0, 64).map(([, pid]) => (pid === accepts[0][1] ? 'A' : 'B')).join(''));
rmSync(dir, { recursive: true, force: true });
