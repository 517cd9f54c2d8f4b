#!/usr/bin/env node
// Benchmark CLI (harness process): npm run bench -- <scenario> [targets...] [--runs N] [--duration S]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { appendResult } from './lib/results.mjs';
import { TARGETS, usableTargets } from './lib/targets.mjs';
import { ensurePeers } from './lib/peers.mjs';
import { ensureWrk } from './lib/wrk.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
/** The order of `all`: the short server-level scenarios first, the long user model last. */
const ALL_ORDER = ['startup', 'distribution', 'steady', 'cost', 'saturation', 'watchdog', 'classes', 'mixed', 'users'];
const scenarios = readdirSync(join(here, 'scenarios')).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4));

const usage = `usage: npm run bench -- <scenario> [targets...] [options]
       npm run bench -- all [--runs N]     every scenario with its defaults, then npm run bench:report

scenarios: ${scenarios.join(', ')}
targets:   ${Object.keys(TARGETS).join(', ')}
options:
  --runs N        interleaved runs per target and load (default: the scenario's, >= 3)
  --duration S    seconds per wrk run, or the idle window for startup (default: the scenario's)
  --warmup S      seconds of uncounted warm-up load before each measured run (default 1)
  --loads a,b     only these loads of the scenario (see bench/README.md)
  --baseline T    target the ratios are computed against (default: the scenario's)
  -h, --help`;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
    loads: { type: 'string' }, baseline: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});

const [scenarioName, ...targetNames] = positionals;
if (opts.help || !scenarioName) {
  console.log(usage);
  process.exit(opts.help ? 0 : 2);
}
if (scenarioName === 'all') {
  // Every scenario in turn, each with its own defaults (and --runs if given), each in its own
  // process so one scenario's targets are all gone before the next starts; then the report.
  if (targetNames.length) {
    console.error('`all` runs each scenario on its default targets; name a scenario to choose targets');
    process.exit(2);
  }
  const passOn = opts.runs ? ['--runs', opts.runs] : [];
  const failed = [];
  for (const name of ALL_ORDER.filter((n) => scenarios.includes(n))) {
    const t0 = Date.now();
    console.log(`\n=== ${name} ===`);
    const r = spawnSync(process.execPath, [join(here, 'run.mjs'), name, ...passOn], { stdio: 'inherit', cwd: root });
    console.log(`=== ${name}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${Math.round((Date.now() - t0) / 60000)} min`);
    if (r.status !== 0) failed.push(name);
  }
  spawnSync(process.execPath, [join(here, 'report.mjs')], { stdio: 'inherit', cwd: root });
  process.exit(failed.length ? 1 : 0);
}
if (!scenarios.includes(scenarioName)) {
  console.error(`unknown scenario ${JSON.stringify(scenarioName)}; known: ${scenarios.join(', ')}`);
  process.exit(2);
}
const unknown = targetNames.filter((t) => !TARGETS[t]);
if (unknown.length) {
  console.error(`unknown target(s) ${unknown.join(', ')}; known: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

const positive = (text, flag) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0)) {
    console.error(`--${flag} must be a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
};

const scenario = (await import(pathToFileURL(join(here, 'scenarios', `${scenarioName}.mjs`)))).default;
const resultsFile = join(here, 'results', `${scenarioName}.jsonl`);
let commit = null;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  // "abc1234+": the measured code is that commit plus uncommitted changes to the server or the bench.
  const changed = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench/lib', 'bench/peers', 'bench/apps', 'bench/scenarios'],
    { cwd: root, encoding: 'utf8' });
  if (changed.trim() !== '') commit += '+';
} catch {
  // not a git checkout
}
const wanted = targetNames.length ? targetNames : scenario.defaultTargets;
ensurePeers(wanted, root);
const ctx = {
  root,
  scenario: scenarioName,
  targets: usableTargets(wanted, root),
  runs: positive(opts.runs, 'runs') ?? scenario.defaultRuns ?? 3,
  duration: positive(opts.duration, 'duration') ?? scenario.defaultDuration ?? 10,
  warmup: opts.warmup === undefined ? 1 : Number(opts.warmup),
  loads: opts.loads?.split(','),
  baseline: opts.baseline ?? scenario.baseline,
  record: (row) => appendResult(resultsFile, { scenario: scenarioName, commit, ...row }),
};
if (ctx.targets.length === 0) {
  console.error('no target left to run');
  process.exit(1);
}
if (scenario.needsWrk) ensureWrk();
if (!existsSync(join(root, 'bench', 'apps', 'hello.mjs'))) throw new Error('bench/apps/hello.mjs missing');

console.log(`scenario ${scenarioName}: targets ${ctx.targets.join(', ')}; runs ${ctx.runs}; ` +
  `duration ${ctx.duration}s; results -> ${resultsFile}`);
await scenario.run(ctx);
