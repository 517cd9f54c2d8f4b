// Harness helper: read a process's RSS and CPU time from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep the usual Linux value
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / clkTck;
}

/** Resident set size in MiB (VmRSS). */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Starts a CPU meter; call the result to get the % of one core used since. */
export function cpuMeter(pid) {
  const t0 = process.hrtime.bigint();
  let c0;
  try { c0 = cpuSeconds(pid); } catch { return () => NaN; }
  return () => {
    try {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      return (100 * (cpuSeconds(pid) - c0)) / wall;
    } catch {
      return NaN;
    }
  };
}

/**
 * CPU time each thread of process `pid` has run, in ns, from /proc/<pid>/task/<tid>/schedstat
 * (the scheduler's own accounting, exact, unlike the tick-sampled utime/stime); { comm, ns } summed.
 */
export function processCpuNs(pid) {
  let ns = 0;
  let comm = '?';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  return { comm, ns };
}
