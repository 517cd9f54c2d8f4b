#!/usr/bin/env node
// Report (harness process): turns bench/results/*.jsonl into docs/benchmarks.md. npm run bench:report
// Every number in the page comes from a result line, grouped by the exact command that produced it
// (runs of one batch share it), newest batch first.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, range } from './lib/results.mjs';
import { chartSvg } from './lib/charts.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const read = (name) => {
  const file = join(root, 'bench', 'results', `${name}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => !r.failed);
};
const norm = (cmd) => cmd.replace(/http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.1:PORT').replace(/--port \d+/, '--port PORT');
const table = (head, rows) => [
  `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

/**
 * Batches: rows with the same normalized command (and load/app) on the same kind of machine, newest
 * first. Runs on different hosts are never pooled: their absolute numbers are not comparable.
 */
function batches(rows, keyOf) {
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.machine?.cpuModel ?? '?'}|${keyOf(r)}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.entries()].sort((a, b) => latest(b[1]).localeCompare(latest(a[1])));
}
const latest = (rs) => rs.map((r) => r.timestamp).sort().at(-1);
const span = (rs) => {
  const ts = rs.map((r) => r.timestamp).sort();
  const cpu = rs[0].machine?.cpuModel;
  return `${ts[0].slice(0, 16).replace('T', ' ')} – ${ts.at(-1).slice(11, 16)} UTC, commit ${[...new Set(rs.map((r) => r.commit))].join(', ')}${cpu ? `, ${cpu}` : ''}`;
};

/**
 * The row of `candidates` from the same run of the same batch as `r`: rows record their batch (the
 * harness's start time); older rows without one pair with the candidate of the same run index
 * nearest in time, since a batch's runs interleave its targets and batches of one command repeat
 * the run indices.
 */
function sameRun(r, candidates) {
  const same = candidates.filter((c) => c.run === r.run && (c.batch === undefined || c.batch === r.batch));
  const t = Date.parse(r.timestamp);
  return same.sort((a, b) => Math.abs(Date.parse(a.timestamp) - t) - Math.abs(Date.parse(b.timestamp) - t))[0];
}

function saturation() {
  const rows = read('saturation').filter((r) => r.command);
  const out = [];
  for (const [, rs] of batches(rows, (r) => `${r.load} ${norm(r.command)}`)) {
    const targets = [...new Set(rs.map((r) => r.target))];
    const baseline = rs.filter((r) => r.target === 'node-cluster-rr');
    out.push(`### ${rs[0].load}: \`${norm(rs[0].command)}\`\n\n${span(rs)}; ${rs[0].machine?.cores} cores, Node ${rs[0].machine?.node}.\n`);
    out.push(table(['target', 'runs', 'req/s median [min–max]', 'ratio vs node-cluster-rr (same run)', 'p50 ms', 'p99 ms', 'errors', 'server CPU %', 'wrk CPU % (runs over 90 %)'],
      targets.map((t) => {
        const ts = rs.filter((r) => r.target === t);
        const ratios = ts.map((r) => [r, sameRun(r, baseline)]).filter(([, b]) => b).map(([r, b]) => r.rps / b.rps);
        return [t, ts.length, range(ts.map((r) => r.rps)), ratios.length ? fmt(median(ratios), 2) : '-',
          fmt(median(ts.map((r) => r.latencyMs.p50)), 2), fmt(median(ts.map((r) => r.latencyMs.p99)), 2),
          ts.reduce((a, r) => a + r.errorTotal, 0), fmt(median(ts.map((r) => r.serverCpuPct))),
          ts[0].generator ? `${fmt(median(ts.map((r) => r.generator.cpuPct ?? NaN)))} (${ts.filter((r) => r.generator.limited).length})` : 'not recorded'];
      })));
    out.push('');
  }
  return out.join('\n');
}

/** The user-model results of the node driver, by app: the newest batch (one run length) of each. */
function userBatches() {
  const rows = read('users').filter((r) => r.command && (r.generator?.name ?? 'node') === 'node');
  return batches(rows, (r) => `${r.app} ${r.durationS}`);
}
const APP_TITLES = { hello: 'constant ("hello world!")', io: 'I/O-bound (waits 1 s)', cpu: 'CPU-bound (10 ms of CPU)' };
const ms = (x) => (!Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const USER_COUNTS = [10, 100, 1000, 10000];

/** The seed's tables: per workload, median and p95 (ms) per target and user count; charts beside. */
async function seedTables() {
  const out = [];
  const newest = new Map(); // app -> its newest batch; older ones are in the detail below
  for (const [, rs] of userBatches()) if (!newest.has(rs[0].app)) newest.set(rs[0].app, rs);
  const order = Object.keys(APP_TITLES);
  for (const [app, rs] of [...newest].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))) {
    const targets = [...new Set(rs.map((r) => r.target))];
    const cell = (t, u) => {
      const ts = rs.filter((r) => r.target === t && r.users === u);
      if (!ts.length) return '';
      const fails = ts.reduce((a, r) => a + r.failures, 0);
      const reqs = ts.reduce((a, r) => a + r.requests, 0);
      const failNote = fails ? ` (${((100 * fails) / reqs).toFixed(fails < reqs / 100 ? 2 : 0)}% failed)` : '';
      return `${ms(median(ts.map((r) => r.latencyMs.p50 ?? NaN)))} / ${ms(median(ts.map((r) => r.latencyMs.p95 ?? NaN)))}${failNote}` +
        (ts.length > 1 ? ` ×${ts.length}` : '') + (ts.some((r) => r.generatorLimited) ? ' †' : '');
    };
    out.push(`### ${APP_TITLES[app] ?? app}\n\nMedian / p95 latency in ms (median over runs; ×N = runs, else one run; ` +
      "† = a run whose generator's event loop was late by over 50 ms at p99, so part of its latency is the generator's), " +
      `${rs[0].durationS} s per run after a ${rs[0].rampS} s ramp, users thinking ${rs[0].waitS.join('–')} s. ${span(rs)}.\n`);
    out.push(table(['target', ...USER_COUNTS.map((u) => `${u} users`)], targets.map((t) => [t, ...USER_COUNTS.map((u) => cell(t, u))])));
    const points = [];
    for (const r of rs) points.push({ target: r.target, users: r.users, rps: r.rps, p95: r.latencyMs.p95, run: r.run });
    const agg = [];
    for (const t of targets) for (const u of USER_COUNTS) {
      const ts = points.filter((p) => p.target === t && p.users === u);
      if (ts.length) agg.push({ target: t, users: u, rps: median(ts.map((p) => p.rps)), p95: median(ts.map((p) => p.p95 ?? NaN)) });
    }
    const file = `img/users-${app}.svg`;
    await chartSvg(join(root, 'docs', file), usersChartSpec(agg.filter((a) => Number.isFinite(a.p95)), APP_TITLES[app] ?? app));
    out.push(`\n![${app}: throughput and p95 latency against users](${file})\n`);
  }
  return out.join('\n');
}

function usersChartSpec(values, title) {
  const x = { field: 'users', type: 'quantitative', scale: { type: 'log' }, axis: { values: USER_COUNTS, format: ',d' }, title: 'users' };
  const color = { field: 'target', type: 'nominal', legend: { orient: 'bottom', columns: 4 } };
  return {
    title: `${title}: the seed's user model`,
    data: { values },
    hconcat: [
      { width: 300, height: 220, mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'rps', type: 'quantitative', scale: { type: 'log' }, title: 'requests/s' }, color } },
      { width: 300, height: 220, mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'p95', type: 'quantitative', scale: { type: 'log' }, title: 'p95 latency (ms, log)' }, color } },
    ],
  };
}

/** Every user-model batch in full (node driver), newest first. */
function usersDetail() {
  const out = [];
  for (const [, rs] of userBatches()) {
    out.push(`### ${rs[0].app} app, ${rs[0].durationS} s per run (ramp ${rs[0].rampS} s, think ${rs[0].waitS.join('–')} s)\n\n${span(rs)}; \`node bench/tools/users.mjs --users N --ramp ${rs[0].rampS} --duration ${rs[0].durationS}\`.\n`);
    out.push(usersTable(rs));
    out.push('');
  }
  return out.join('\n');
}

function usersTable(rs) {
  const keys = [...new Set(rs.map((r) => `${r.users}\t${r.target}`))].sort((a, b) => Number(a.split('\t')[0]) - Number(b.split('\t')[0]));
  return table(['users', 'target', 'runs', 'req/s', 'min ms', 'median ms', 'mean ms', 'p95 ms', 'p99 ms', 'failures / requests',
    'peak RSS MiB', 'requests per worker (last run)', 'generator CPU %', 'generator-limited runs'],
  keys.map((k) => {
    const [u, t] = k.split('\t');
    const ts = rs.filter((r) => String(r.users) === u && r.target === t);
    const lastRun = ts.at(-1);
    return [u, t, ts.length, range(ts.map((r) => r.rps), 1), range(ts.map((r) => r.latencyMs.min ?? NaN), 1),
      range(ts.map((r) => r.latencyMs.p50 ?? NaN), 1), range(ts.map((r) => r.latencyMs.mean ?? NaN), 1),
      range(ts.map((r) => r.latencyMs.p95 ?? NaN), 1), range(ts.map((r) => r.latencyMs.p99 ?? NaN), 1),
      `${ts.reduce((a, r) => a + r.failures, 0)} / ${ts.reduce((a, r) => a + r.requests, 0)}`,
      range(ts.map((r) => r.peakRssMiB ?? NaN)), lastRun.perWorkerRequests?.join(' / ') ?? '-',
      range(ts.map((r) => r.generator?.cpuPct ?? NaN)), ts.filter((r) => r.generatorLimited).length];
  }));
}

/** locust against the node driver, same targets, user counts and run length. */
function crossCheck() {
  const rows = read('users').filter((r) => r.command && r.app === 'hello' && (r.users === 100 || r.users === 1000));
  const locust = rows.filter((r) => r.generator?.name === 'locust');
  if (!locust.length) return 'No locust runs recorded yet.\n';
  const duration = locust.at(-1).durationS;
  const targets = [...new Set(locust.map((r) => r.target))];
  const lines = [];
  for (const t of targets) for (const u of [100, 1000]) for (const g of ['node', 'locust']) {
    const ts = rows.filter((r) => r.target === t && r.users === u && r.durationS === duration && (r.generator?.name ?? 'node') === g);
    if (!ts.length) continue;
    lines.push([t, u, g, ts.length, range(ts.map((r) => r.rps), 1), range(ts.map((r) => r.latencyMs.p50 ?? NaN), 1),
      range(ts.map((r) => r.latencyMs.p95 ?? NaN), 1), range(ts.map((r) => r.latencyMs.p99 ?? NaN), 1),
      ts.reduce((a, r) => a + r.failures, 0), range(ts.map((r) => r.generator?.cpuPct ?? NaN))]);
  }
  return `${span(locust)}; hello app, ${duration} s per run. locust rounds its percentiles (to whole ms, and to two significant digits above 100 ms).\n\n` +
    table(['target', 'users', 'generator', 'runs', 'req/s', 'median ms', 'p95 ms', 'p99 ms', 'failures', 'generator CPU %'], lines) + '\n';
}

/** The open-loop mixed load of the worker-classes study (newest batch). */
function mixed() {
  const rows = read('mixed').filter((r) => r.command && r.fast);
  const [, rs] = batches(rows, (r) => `${r.load} ${norm(r.command)}`)[0] ?? [];
  if (!rs) return 'No runs recorded yet.\n';
  const targets = [...new Set(rs.map((r) => r.target))];
  const base = median(rs.filter((r) => r.target.startsWith('cluster-app')).map((r) => r.fast.p99));
  const warm = rs[0].warmupS > 0 ? `after ${rs[0].warmupS} s of the same load that is not counted` : 'from a fresh server\'s start, no warm-up';
  return `${span(rs)}; \`${norm(rs[0].command)}\` (95 % of requests answer at once, 5 % burn 100 ms of CPU, sent at about half ` +
    `the measured capacity from independent keep-alive clients), measured ${warm}.\n\n` +
    table(['target', 'runs', 'achieved req/s', 'fast p50 ms', 'fast p99 ms', 'bare cluster fast p99 / this', 'slow p50 ms', 'slow p99 ms', 'errors'],
      targets.map((t) => {
        const ts = rs.filter((r) => r.target === t);
        const p99 = median(ts.map((r) => r.fast.p99));
        return [t, ts.length, range(ts.map((r) => r.achievedRate), 1), range(ts.map((r) => r.fast.p50), 1), range(ts.map((r) => r.fast.p99), 1),
          fmt(base / p99, 1), range(ts.map((r) => r.slow.p50), 1), range(ts.map((r) => r.slow.p99), 1),
          ts.reduce((a, r) => a + r.fast.errors + r.slow.errors, 0)];
      })) + '\n';
}

/** Every cost A/B (newest first): the second target's CPU per request over the first's, in both start orders. */
function cost() {
  const sums = read('cost').filter((r) => r.load === 'summary' && r.phases).reverse();
  if (sums.length === 0) return 'No runs recorded yet.\n';
  return table(['when (UTC)', 'commit', 'command', 'ratio, first order', 'ratio, second order', 'ratio (geometric mean)'],
    sums.map((r) => [r.timestamp.slice(0, 16).replace('T', ' '), r.commit ?? '?',
      `\`npm run bench -- cost ${r.targets.join(' ')}${r.workload && r.workload !== 'constant' ? ` --loads ${r.workload}` : ''} --runs ${r.runs}\``,
      range(r.phases[0].ratios, 3), range(r.phases[1].ratios, 3), `**${fmt(r.ratio, 3)}**`])) + '\n';
}

/** Saturation medians of the newest full comparison (every peer, nginx included) per load, as a bar chart. */
async function saturationChart() {
  const rows = read('saturation').filter((r) => r.command);
  const values = [];
  const seenLoads = new Set();
  const all = batches(rows, (r) => `${r.load} ${norm(r.command)}`);
  const full = all.filter(([, rs]) => rs.some((r) => r.target === 'nginx-return200'));
  for (const [, rs] of full.length ? full : all) {
    if (seenLoads.has(rs[0].load)) continue;
    seenLoads.add(rs[0].load);
    for (const t of new Set(rs.map((r) => r.target))) {
      values.push({ load: rs[0].load === 'close-c64' ? 'Connection: close' : 'keep-alive', target: t,
        rps: median(rs.filter((r) => r.target === t).map((r) => r.rps)) });
    }
  }
  await chartSvg(join(root, 'docs', 'img', 'saturation.svg'), {
    title: 'Saturation, framework-free apps (wrk -t1 -c64; median req/s)',
    data: { values },
    facet: { column: { field: 'load', type: 'nominal', title: null } },
    spec: { width: 260, height: 200, mark: 'bar',
      encoding: { y: { field: 'target', type: 'nominal', sort: '-x', title: null },
        x: { field: 'rps', type: 'quantitative', title: 'requests/s' },
        color: { field: 'target', type: 'nominal', legend: null } } },
    resolve: { scale: { y: 'independent' } },
  });
  return '![saturation: median requests/s per target, keep-alive and Connection: close](img/saturation.svg)\n';
}

mkdirSync(join(root, 'docs', 'img'), { recursive: true });
const page = `# Benchmarks

Generated by \`npm run bench:report\` from \`bench/results/*.jsonl\`; do not edit by hand. Every
table is one batch of runs that share a command, newest first; each result line in the files
holds the exact server and load commands, the machine and the git commit. Charts are drawn with
Vega-Lite from the same numbers.

Read with care: the load generator and the server share the same **2 cores**, so absolute numbers
are low and the machine's speed drifts between runs; targets are interleaved (A B C …, rotated each
run) and ratios are taken within a run. Each peer runs with its documented settings (see
\`bench/README.md\`). How to rerun: \`bench/README.md\`.

## The seed's user model, \`npm run bench -- users\`

N users, each sending a request, waiting for the answer, then thinking a uniform 5–15 s (locust's
\`FastHttpUser\` with \`wait_time = between(5, 15)\`), ramped over 10 s; only requests sent after the
ramp count. Driven by \`bench/tools/users.mjs\` (Node, one keep-alive connection per user), which
records its own CPU and event-loop delay; see the locust cross-check below for why not locust itself.
The CPU-bound app burns a real 10 ms of CPU per request (the seed's CPU-bound code was by mistake a
copy of its sleep app).

${await seedTables()}
### Cross-check: locust and the Node driver at 100 and 1,000 users

${crossCheck()}
## Saturation: framework-free apps, \`npm run bench -- saturation\`

${await saturationChart()}
${saturation()}
## CPU per request, side by side, \`npm run bench -- cost\`

Two targets served at once, every process of both pinned to CPU 0, each loaded by its own
\`wrk -t1 -c64\` (keep-alive, hello world; with \`--loads cpu\`, the CPU-bound app and \`-c8\`; with \`--loads close\`, \`Connection: close\` on every request) pinned to CPU 1, so both meet the same core, cache and
moment; each round divides each target's CPU time (all its threads, from the scheduler's exact
accounting) by the requests its wrk completed. Half the rounds run with the targets started in one
order, half in the other (which target starts first, and takes the first slot, can move the ratio by
a per cent or two); the headline is the geometric mean of the two orders'
medians. A ratio above 1 means the second target spends more CPU per request than the first.

${cost()}
## Fixed-rate mixed load, \`npm run bench -- mixed\`

${mixed()}
## The user model in detail

${usersDetail()}`;
writeFileSync(join(root, 'docs', 'benchmarks.md'), page);
console.log(`wrote docs/benchmarks.md (${page.length} bytes)`);
