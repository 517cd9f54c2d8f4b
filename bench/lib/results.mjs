// Harness helper: append results as JSON lines and print the summary table.
import { appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';

export function machine() {
  return { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
}

/** When this invocation of the harness started: every row it writes carries it, so rows of one batch pair up. */
const BATCH = new Date().toISOString();

export function appendResult(file, record) {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ timestamp: new Date().toISOString(), batch: BATCH, ...record, machine: machine() })}\n`);
}

export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Per-worker balance: (max - min) / mean of the request counts; 0 is perfect. */
export function balance(counts) {
  if (counts.length < 2) return NaN;
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return mean === 0 ? NaN : (Math.max(...counts) - Math.min(...counts)) / mean;
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const range = (xs, digits = 0) => {
  const s = xs.filter(Number.isFinite);
  if (s.length === 0) return '-';
  return `${fmt(median(s), digits)} [${fmt(Math.min(...s), digits)}–${fmt(Math.max(...s), digits)}]`;
};

/**
 * Print one table per group (e.g. per load) from rows { group, target, run, rps, p50, p99,
 * errors, balance, counts, extra }. Ratio = median over runs of target/baseline rps in the
 * same run index, which cancels most of this box's slow CPU-speed drift.
 */
export function printSummary(rows, baseline, extraColumns = []) {
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const group of groups) {
    const inGroup = rows.filter((r) => r.group === group);
    const targets = [...new Set(inGroup.map((r) => r.target))];
    const base = new Map(inGroup.filter((r) => r.target === baseline).map((r) => [r.run, r.rps]));
    console.log(`\n## ${group}`);
    const head = ['target', 'runs', 'req/s median [min–max]', `ratio vs ${baseline}`, 'p50 ms', 'p99 ms',
      'errors', 'req balance [min–max]', 'reqs (median run)', ...extraColumns.map((c) => c.title)];
    const lines = [head];
    for (const target of targets) {
      const rs = inGroup.filter((r) => r.target === target);
      const ratios = rs.filter((r) => base.has(r.run)).map((r) => r.rps / base.get(r.run));
      const medRun = [...rs].sort((a, b) => a.rps - b.rps)[rs.length >> 1];
      lines.push([
        target, String(rs.length), range(rs.map((r) => r.rps)),
        ratios.length ? fmt(median(ratios), 2) : '-',
        fmt(median(rs.map((r) => r.p50)), 2), fmt(median(rs.map((r) => r.p99)), 2),
        String(rs.reduce((a, r) => a + r.errors, 0)),
        range(rs.map((r) => r.balance), 2),
        medRun?.counts?.length ? medRun.counts.join('/') : '-',
        ...extraColumns.map((c) => c.cell(rs)),
      ]);
    }
    printTable(lines);
  }
}

export function printTable(lines) {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  const row = (l) => `| ${l.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(row(lines[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines.slice(1)) console.log(row(l));
}

export { fmt, range };

/** Throws unless every load named in `loads` is a key of `known`; returns `loads`. */
export function checkLoads(loads, known) {
  for (const l of loads) if (!known[l]) throw new Error(`unknown load ${l}; known: ${Object.keys(known).join(', ')}`);
  return loads;
}

/** A scenario's interleaved schedule: each run, each load, every target (A B C …, rotated each run). */
export function* interleaved(targets, runs, loads) {
  for (let run = 0; run < runs; run++) {
    for (const loadName of loads) for (const target of rotated(targets, run)) yield { run, loadName, target };
  }
}

/** The targets in the order of run `run`: rotated by one each run, so no target always goes first. */
export function rotated(targets, run) {
  return targets.map((_, i) => targets[(i + run) % targets.length]);
}
