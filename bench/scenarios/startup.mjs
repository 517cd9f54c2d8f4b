// Scenario (harness process): time from spawn to first 200, then the master's RSS and idle CPU.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, groupMembers, startProcess, stopProcess, track, waitReady } from '../lib/proc.mjs';
import { cpuMeter, rssMiB } from '../lib/procstat.mjs';
import { fmt, median, printTable, range, rotated } from '../lib/results.mjs';
import { TARGETS } from '../lib/targets.mjs';

const SETTLE_MS = 1000; // let workers finish booting before the idle window opens

export default {
  describe: 'spawn-to-first-200 time, master RSS and idle CPU %, whole-group RSS and idle CPU %',
  needsWrk: false,
  defaultRuns: 5,
  defaultDuration: 5,
  baseline: 'node-cluster-rr',
  defaultTargets: ['node-single', 'node-cluster-rr', 'node-cluster-none', 'corral'],

  async run(ctx) {
    const rows = [];
    for (let run = 0; run < ctx.runs; run++) {
      const order = rotated(ctx.targets, run);
      for (const target of order) {
        try {
          const r = await measureStartup(ctx, target);
          ctx.record({ target, run, ...r });
          rows.push({ target, run, ...r });
          console.log(`run ${run} ${target.padEnd(20)} ready ${fmt(r.readyMs)} ms  master ${fmt(r.masterRssMiB, 1)} MiB ` +
            `${fmt(r.masterIdleCpuPct, 2)}% CPU  group(${r.processes}) ${fmt(r.groupRssMiB, 1)} MiB ${fmt(r.groupIdleCpuPct, 2)}% CPU`);
        } catch (err) {
          console.log(`run ${run} ${target}: FAILED ${err.message.split('\n')[0]}`);
          ctx.record({ target, run, failed: err.message });
        }
      }
    }
    summarize(rows, ctx.targets);
  },
};

async function measureStartup(ctx, name) {
  const t = TARGETS[name];
  const port = await freePort();
  const proc = track(startProcess(t.cmd(port), t.env, ctx.root));
  try {
    const readyMs = await waitReady(proc, port, 20000, 5);
    await sleep(SETTLE_MS);
    const members = groupMembers(proc.pid);
    const meters = members.map((pid) => [pid, cpuMeter(pid)]);
    await sleep(ctx.duration * 1000);
    const cpu = new Map(meters.map(([pid, m]) => [pid, m()]));
    const rss = new Map(members.map((pid) => [pid, safe(() => rssMiB(pid))]));
    const sum = (m) => [...m.values()].filter(Number.isFinite).reduce((a, b) => a + b, 0);
    return {
      readyMs, idleWindowS: ctx.duration, processes: members.length,
      masterRssMiB: rss.get(proc.pid), masterIdleCpuPct: cpu.get(proc.pid),
      groupRssMiB: sum(rss), groupIdleCpuPct: sum(cpu),
    };
  } finally {
    await stopProcess(proc);
  }
}

function safe(fn) {
  try { return fn(); } catch { return NaN; }
}

function summarize(rows, targets) {
  const lines = [['target', 'runs', 'spawn→200 ms median [min–max]', 'master RSS MiB', 'master idle CPU %',
    'processes', 'group RSS MiB', 'group idle CPU %']];
  for (const target of targets) {
    const rs = rows.filter((r) => r.target === target);
    if (rs.length === 0) continue;
    lines.push([target, String(rs.length), range(rs.map((r) => r.readyMs)),
      range(rs.map((r) => r.masterRssMiB), 1), range(rs.map((r) => r.masterIdleCpuPct), 2),
      fmt(median(rs.map((r) => r.processes))), range(rs.map((r) => r.groupRssMiB), 1),
      range(rs.map((r) => r.groupIdleCpuPct), 2)]);
  }
  console.log('\n## startup (idle window after a 1 s settle)');
  printTable(lines);
}
