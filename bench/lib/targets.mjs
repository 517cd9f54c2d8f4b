// Harness: the servers under test; how to start each, how to know it is ready, what it needs.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const node = process.execPath;
const WORKERS = 2;

// A Node >= 22.12 for SO_REUSEPORT (`reusePort`), from the npm registry's `node` package:
//   npm install --no-save --prefix bench/tmp/node24 node@24
// or BENCH_NODE24=/path/to/node.
const NODE24_DEFAULT = 'bench/tmp/node24/node_modules/node/bin/node';
const node24 = process.env.BENCH_NODE24 ?? NODE24_DEFAULT;
const node24Needs = {
  requires: [node24],
  skipReason: `no Node 24 at ${node24}: npm install --no-save --prefix bench/tmp/node24 node@24`,
};

/**
 * A target: `cmd(port)` is the argv to spawn (cwd = repo root), `env` is added to the
 * harness's environment, `requires` lists repo files that must exist (else it is skipped
 * with `skipReason`). Ready = GET / on 127.0.0.1:port answers 200. Stop = SIGTERM to the
 * process group, then SIGKILL.
 */
export const TARGETS = {
  'node-single': {
    describe: 'one node:http process',
    cmd: (port, app = 'bench/apps/hello.mjs') => [node, 'bench/peers/node-single.mjs', String(port), app],
    env: {},
    workers: 1,
  },
  'node-cluster-rr': {
    describe: 'node:cluster, master accepts and hands off round-robin (SCHED=rr)',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'rr' },
    workers: WORKERS,
  },
  'node-cluster-rr-v8flag': {
    describe: 'node:cluster round-robin, run with corral\'s default V8 flag (--no-concurrent-array-buffer-sweeping)',
    cmd: (port) => [node, '--no-concurrent-array-buffer-sweeping', 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'rr' },
    workers: WORKERS,
  },
  'node-cluster-even': {
    describe: 'node:cluster, master accepts and hands connection i to worker i mod N (SCHED=even)',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'even' },
    workers: WORKERS,
  },
  'node-cluster-none': {
    describe: 'node:cluster, every worker accepts on the shared socket (SCHED=none)',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'none' },
    workers: WORKERS,
  },
  'node-cluster-none-single-accept': {
    describe: 'SCHED=none with UV_TCP_SINGLE_ACCEPT=1 (libuv sleeps after each accept)',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    // Inherited by the workers; the master never polls the socket under SCHED=none.
    env: { SCHED: 'none', UV_TCP_SINGLE_ACCEPT: '1' },
    workers: WORKERS,
  },
  'node-cluster-none-shed': {
    describe: 'SCHED=none, a worker over its fair share of open connections stops accepting',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'none', SHED: '1' },
    workers: WORKERS,
  },
  'node-cluster-none-rebalance': {
    describe: 'SCHED=none, shed as above, plus surplus keep-alive connections are closed after a response',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'none', SHED: '2' },
    workers: WORKERS,
  },
  'node-cluster-none-rebalance-lazy': {
    describe: 'as -rebalance, but workers report their counts every 100 ms instead of on every change',
    cmd: (port) => [node, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'none', SHED: '2', SHED_REPORT_MS: '100' },
    workers: WORKERS,
  },
  // The same peers on Node 24, so SO_REUSEPORT is compared on the same runtime.
  'node24-cluster-rr': {
    describe: 'node-cluster-rr on Node 24',
    cmd: (port) => [node24, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'rr' },
    workers: WORKERS,
    ...node24Needs,
  },
  'node24-cluster-none': {
    describe: 'node-cluster-none on Node 24',
    cmd: (port) => [node24, 'bench/peers/node-cluster.mjs', String(port), String(WORKERS)],
    env: { SCHED: 'none' },
    workers: WORKERS,
    ...node24Needs,
  },
  'node24-reuseport': {
    describe: 'forked workers, each with its own SO_REUSEPORT socket (Node 24)',
    cmd: (port) => [node24, 'bench/peers/node-reuseport.mjs', String(port), String(WORKERS)],
    env: {},
    workers: WORKERS,
    ...node24Needs,
  },
  corral: {
    describe: 'corral with its default distribution',
    cmd: (port) => [node, 'dist/cli.js', 'bench/apps/hello.mjs', '-w', String(WORKERS), '-b', `127.0.0.1:${port}`],
    env: {},
    workers: WORKERS,
    requires: ['dist/cli.js'],
    skipReason: 'dist/cli.js not found: run `npm run build` once the CLI exists',
  },
  'corral-nov8flag': {
    describe: 'corral with V8\'s own defaults (--v8-flags "")',
    cmd: (port) => [node, 'dist/cli.js', 'bench/apps/hello.mjs', '-w', String(WORKERS), '--v8-flags', '', '-b', `127.0.0.1:${port}`],
    env: {},
    workers: WORKERS,
    requires: ['dist/cli.js'],
    skipReason: 'dist/cli.js not found: run `npm run build` once the CLI exists',
  },
  'corral-no-rebalance': {
    describe: 'corral --no-rebalance (workers accept from the shared socket; no keep-alive rebalancing)',
    cmd: (port) => [node, 'dist/cli.js', 'bench/apps/hello.mjs', '-w', String(WORKERS), '--no-rebalance', '-b', `127.0.0.1:${port}`],
    env: {},
    workers: WORKERS,
    requires: ['dist/cli.js'],
    skipReason: 'dist/cli.js not found: run `npm run build` once the CLI exists',
  },
};

/** Returns null when the target can run, else why not. */
export function unavailable(name, root) {
  const t = TARGETS[name];
  if (!t) return `unknown target (known: ${Object.keys(TARGETS).join(', ')})`;
  const missing = (t.requires ?? []).filter((f) => !existsSync(isAbsolute(f) ? f : join(root, f)));
  return missing.length ? t.skipReason ?? `missing ${missing.join(', ')}` : null;
}

/** Keep the requested targets that can run; say why each other one is skipped. */
export function usableTargets(names, root) {
  return names.filter((name) => {
    const why = unavailable(name, root);
    if (why) console.log(`skipping target ${name}: ${why}`);
    return !why;
  });
}

// Worker-class targets (scenarios classes, mixed, watchdog). `cmd(port, app)` takes the app
// to serve as an optional second argument (default bench/apps/hello.mjs).
const HELLO = 'bench/apps/hello.mjs';
const corralNeeds = {
  requires: ['dist/cli.js'],
  skipReason: 'dist/cli.js not found: run `npm run build` once the CLI exists',
};
const corralWith = (describe, workers, args) => ({
  describe,
  cmd: (port, app = HELLO) => [node, 'dist/cli.js', app, '-w', String(workers), ...args, '-b', `127.0.0.1:${port}`],
  env: {},
  workers,
  ...corralNeeds,
});
const clusterApp = (workers, sched = 'rr') => ({
  describe: sched === 'rr'
    ? `bare node:cluster, ${workers} workers, default (round-robin) scheduling, serving the given app`
    : `bare node:cluster, ${workers} workers, each accepting on the shared socket (SCHED_NONE), serving the given app`,
  cmd: (port, app = HELLO) => [node, 'bench/peers/cluster-app.mjs', String(port), String(workers), app],
  // Node's cluster reads the policy from this variable when the script does not set it.
  env: sched === 'rr' ? {} : { NODE_CLUSTER_SCHED_POLICY: 'none' },
  workers,
});
Object.assign(TARGETS, {
  'corral-async-w2': corralWith('corral -k async -w 2', 2, ['-k', 'async']),
  'corral-async-w4': corralWith('corral -k async -w 4', 4, ['-k', 'async']),
  'corral-sync-w2': corralWith('corral -k sync -w 2', 2, ['-k', 'sync']),
  'corral-sync-w4': corralWith('corral -k sync -w 4', 4, ['-k', 'sync']),
  'corral-thread-w2t2': corralWith('corral -k thread -w 2 --threads 2', 2, ['-k', 'thread', '--threads', '2']),
  'corral-thread-w2t2-noshare': corralWith('corral -k thread -w 2 --threads 2 --no-share-threads', 2,
    ['-k', 'thread', '--threads', '2', '--no-share-threads']),
  'corral-thread-w2t1': corralWith('corral -k thread -w 2 --threads 1', 2, ['-k', 'thread', '--threads', '1']),
  'corral-thread-w2t1-noshare': corralWith('corral -k thread -w 2 --threads 1 --no-share-threads', 2,
    ['-k', 'thread', '--threads', '1', '--no-share-threads']),
  'corral-thread-w1t1-budget': corralWith('corral -k thread -w 1 --threads 1, V8 interrupt budget 16 KiB', 1,
    ['-k', 'thread', '--threads', '1', '--v8-flags', '--no-concurrent-array-buffer-sweeping --interrupt-budget=16384']),
  'corral-thread-w1t2': corralWith('corral -k thread -w 1 --threads 2', 1, ['-k', 'thread', '--threads', '2']),
  'corral-no-watchdog': corralWith('corral -w 2 --timeout 0 --blocked-warning 0 (no watchdog thread)', 2,
    ['--timeout', '0', '--blocked-warning', '0']),
  'cluster-app-w2': clusterApp(2),
  // One worker each: the `cost` scenario compares what serving a request costs, apart from any split.
  'corral-w1': corralWith('corral -w 1', 1, []),
  'cluster-app-w1': clusterApp(1),
  'cluster-app-w1-none': clusterApp(1, 'none'),
  'corral-sync-w1': corralWith('corral -k sync -w 1', 1, ['-k', 'sync']),
  'corral-thread-w1t1': corralWith('corral -k thread -w 1 --threads 1', 1, ['-k', 'thread', '--threads', '1']),
  'corral-w1-nov8flag': corralWith('corral -w 1 --v8-flags "" (without corral\'s default V8 flag)', 1, ['--v8-flags', '']),
  'corral-w1-no-watchdog': corralWith('corral -w 1 --timeout 0 --blocked-warning 0 (no watchdog thread)', 1,
    ['--timeout', '0', '--blocked-warning', '0']),
  // corral's default --v8-flags on the bare cluster, and corral without it: what the flag does, apart.
  'cluster-app-w2-v8flag': {
    ...clusterApp(2),
    describe: 'bare node:cluster, 2 workers, round-robin, run with corral\'s default V8 flag (--no-concurrent-array-buffer-sweeping)',
    cmd: (port, app = HELLO) => [node, '--no-concurrent-array-buffer-sweeping', 'bench/peers/cluster-app.mjs', String(port), '2', app],
  },
  'corral-sync-w2-nov8flag': corralWith('corral -k sync -w 2 --v8-flags ""', 2, ['-k', 'sync', '--v8-flags', '']),
  'corral-thread-w2t2-nov8flag': corralWith('corral -k thread -w 2 --threads 2 --v8-flags ""', 2, ['-k', 'thread', '--threads', '2', '--v8-flags', '']),
  'cluster-app-w4': clusterApp(4),
  'cluster-app-w2-none': clusterApp(2, 'none'),
});

// Peers from outside Node (issue: the benchmark study). Each declares what it installs
// (bench/lib/peers.mjs installs it before a run) and takes the same app argument as the Node
// targets: the Node app's path picks the matching Python app, 'raw' the framework-free one.
const PY_APPS = {
  'bench/apps/hello.mjs': 'flask_apps:hello',
  'bench/apps/io.mjs': 'flask_apps:io',
  'bench/apps/cpu.mjs': 'flask_apps:cpu',
  raw: 'flask_apps:raw',
};
const pyApp = (app = HELLO) => {
  const name = PY_APPS[app];
  if (!name) throw new Error(`no Gunicorn app for ${app} (known: ${Object.keys(PY_APPS).join(', ')})`);
  return name;
};
const gunicornNeeds = {
  install: { apt: ['gunicorn', 'python3-flask', 'python3-gevent'] },
  requires: ['/usr/bin/gunicorn'],
  skipReason: 'gunicorn not installed (apt-get install gunicorn python3-flask python3-gevent)',
};
/** Gunicorn with its documented settings for each class; logs only warnings. */
const gunicorn = (describe, workers, args) => ({
  describe,
  cmd: (port, app) => ['/usr/bin/gunicorn', '-w', String(workers), ...args, '-b', `127.0.0.1:${port}`,
    '--chdir', 'bench/apps/py', '--log-level', 'warning', pyApp(app)],
  env: { PYTHONDONTWRITEBYTECODE: '1' },
  workers,
  ...gunicornNeeds,
});
Object.assign(TARGETS, {
  'gunicorn-sync-w4': gunicorn('Gunicorn sync, 4 workers', 4, ['-k', 'sync']),
  'gunicorn-gthread-w4t8': gunicorn('Gunicorn gthread, 4 workers x 8 threads', 4, ['-k', 'gthread', '--threads', '8']),
  'gunicorn-gevent-w1': gunicorn('Gunicorn gevent, 1 worker, 1000 connections', 1, ['-k', 'gevent', '--worker-connections', '1000']),
  'gunicorn-gevent-w4': gunicorn('Gunicorn gevent, 4 workers, 1000 connections each', 4, ['-k', 'gevent', '--worker-connections', '1000']),
  'pm2-cluster-w2': {
    describe: 'PM2 cluster mode (pm2-runtime, -i 2), each instance a node:http server with the app',
    cmd: (port, app = HELLO) => ['env', `PORT=${port}`, `BENCH_APP=${app}`,
      `PM2_HOME=${mkdtempSync(join(tmpdir(), 'corral-bench-pm2-'))}`,
      node, 'bench/tmp/peers/node_modules/pm2/bin/pm2-runtime', 'start', 'bench/peers/pm2-app.cjs', '-i', String(WORKERS)],
    env: {},
    workers: WORKERS,
    install: { npm: ['pm2@5'] },
    requires: ['bench/tmp/peers/node_modules/pm2/bin/pm2-runtime'],
    skipReason: 'pm2 not installed (npm install --no-save --prefix bench/tmp/peers pm2@5)',
  },
  'nginx-return200': {
    describe: 'nginx answering `return 200 "hello world!"` (2 worker processes): the ceiling for the constant app',
    onlyApp: 'bench/apps/hello.mjs',
    cmd: (port) => {
      const dir = mkdtempSync(join(tmpdir(), 'corral-bench-nginx-'));
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, [
        'daemon off;', 'master_process on;', `worker_processes ${WORKERS};`, `pid ${join(dir, 'nginx.pid')};`,
        'error_log stderr warn;', 'events { worker_connections 10240; }',
        'http {', '  access_log off;', `  client_body_temp_path ${dir};`,
        `  server { listen 127.0.0.1:${port}; location / { default_type text/plain; return 200 "hello world!"; } }`, '}', '',
      ].join('\n'));
      return ['/usr/sbin/nginx', '-p', dir, '-c', conf];
    },
    env: {},
    workers: WORKERS,
    install: { apt: ['nginx-light'] },
    requires: ['/usr/sbin/nginx'],
    skipReason: 'nginx not installed (apt-get install nginx-light)',
  },
});
