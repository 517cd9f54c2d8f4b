// --check-config validates settings and loads the app in one process, binds nothing, and exits 0 or 1. Test process.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { startCorral } from '../helpers/corral.ts';
import { APP, CONFIG_FIXTURES, run, tempDir } from './config-helpers.ts';

describe('--check-config', { concurrency: 4 }, () => {
  // Held by the test for the whole suite: if --check-config tried to bind it, it would fail with EADDRINUSE.
  const occupied = net.createServer();
  let bind = '';
  before(async () => {
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    bind = `127.0.0.1:${(occupied.address() as net.AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => occupied.close(resolve)));

  async function check(args: string[], env: Record<string, string> = {}) {
    return run(['--check-config', '-b', bind, ...args], { cwd: tempDir(), env });
  }

  test('with a good app exits 0, says what it would serve, and binds nothing', async () => {
    const { code, output } = await check([APP, '-w', '2']);
    assert.equal(code, 0, output);
    assert.match(output, /Configuration OK; app: Node request listener \(default export of .*app\.mjs\)/);
    assert.doesNotMatch(output, /Listening at|Booting worker|EADDRINUSE/);
  });

  test('with an app that throws on import exits 1 and prints the error it threw', async () => {
    const { code, output } = await check([path.join(CONFIG_FIXTURES, 'throws-on-import.mjs')]);
    assert.equal(code, 1, output);
    assert.match(output, /^Error: /m);
    assert.match(output, /throws-on-import\.mjs/);
    assert.match(output, /fixture refuses to load: DATABASE_URL is not set/);
  });

  test('with an app whose top-level await never settles exits 1 instead of 0 and says so', async () => {
    const { code, output } = await check([path.resolve('test/fixtures/servers/awaits-forever-while-loading.mjs')]);
    assert.equal(code, 1, output);
    assert.match(output, /^Error: loading .*awaits-forever-while-loading\.mjs never finished: .*top level/m);
    assert.doesNotMatch(output, /Configuration OK/);
  });

  // (A host name that does not resolve fails the same way; not tested: a lookup without a network may take long.)
  test('with a bind address that could never be bound (a unix socket in a missing directory) exits 1 naming it', async () => {
    const { code, output } = await run(['--check-config', APP, '-b', 'unix:/nonexistent-corral-dir/app.sock'], { cwd: tempDir() });
    assert.equal(code, 1, output);
    assert.match(output, /cannot bind unix:\/nonexistent-corral-dir\/app\.sock: directory \/nonexistent-corral-dir does not exist/);
  });

  test('with an app that exports nothing servable exits 1 and says what it exports', async () => {
    const { code, output } = await check([path.join(CONFIG_FIXTURES, 'exports-nothing-servable.mjs')]);
    assert.equal(code, 1, output);
    assert.match(output, /Nothing to serve in .*exports-nothing-servable\.mjs/);
    assert.match(output, /answer \(number\)/);
  });

  test('with an APP_MODULE that does not exist exits 1 naming it', async () => {
    const { code, output } = await check(['no-such-app.mjs']);
    assert.equal(code, 1, output);
    assert.match(output, /no-such-app\.mjs/);
  });

  test('with a bad setting exits 1 without loading the app', async () => {
    const { code, output } = await check([APP, '--graceful-timeout', 'soon']);
    assert.equal(code, 1, output);
    assert.match(output, /invalid value for --graceful-timeout: "soon"/);
    assert.doesNotMatch(output, /Configuration OK/);
  });

  test('with a bad setting from the environment exits 1', async () => {
    const { code, output } = await check([APP], { CORRAL_TIMEOUT: 'never' });
    assert.equal(code, 1, output);
    assert.match(output, /invalid value for CORRAL_TIMEOUT: "never"/);
  });

  test('with a --chdir that does not exist exits 1 naming it', async () => {
    const { code, output } = await check([APP, '--chdir', '/nonexistent/corral-dir']);
    assert.equal(code, 1, output);
    assert.match(output, /invalid value for --chdir: "\/nonexistent\/corral-dir" \(from command line\); expected an existing directory/);
  });

  test('with an app that keeps timers running still exits (0, or 1 when it serves nothing)', async () => {
    const dir = tempDir({
      'timer.mjs': 'setInterval(() => {}, 1000);\nexport default (req, res) => res.end();\n',
      'timer-bad.mjs': 'setInterval(() => {}, 1000);\nexport const answer = 42;\n',
    });
    const good = await check([path.join(dir, 'timer.mjs')]);
    assert.equal(good.code, 0, good.output);
    assert.match(good.output, /Configuration OK/);
    const bad = await check([path.join(dir, 'timer-bad.mjs')]);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /answer/, 'the error lists what the module exports');
  });
});

test('--preload with an app that keeps timers running: the master still exits after SIGTERM', async () => {
  const dir = tempDir({ 'timer.mjs': 'setInterval(() => {}, 1000);\nexport default (req, res) => res.end();\n' });
  const corral = await startCorral([path.join(dir, 'timer.mjs'), '--preload']);
  try {
    corral.signal('SIGTERM');
    const { code } = await corral.waitExit(10_000);
    assert.equal(code, 0, corral.output);
  } finally {
    await corral.stop();
  }
});

test('--preload with an app whose top-level await never settles: the master exits 4 saying so, not 0 in silence', async () => {
  const app = path.resolve('test/fixtures/servers/awaits-forever-while-loading.mjs');
  const { code, output } = await run([app, '--preload', '-b', '127.0.0.1:0'], { cwd: tempDir() });
  assert.equal(code, 4, output);
  assert.match(output, /loading .*awaits-forever-while-loading\.mjs never finished/);
  assert.doesNotMatch(output, /Listening at/);
});

test('--preload with an app that calls process.exit while loading: the master says so and exits 3 instead of ending in silence', async () => {
  const app = path.resolve('test/fixtures/servers/exits-while-loading.mjs');
  const { code, output } = await run([app, '--preload', '-b', '127.0.0.1:0'], { cwd: tempDir() });
  assert.equal(code, 3, output);
  assert.match(output, /exits-while-loading\.mjs ended the process \(exit code 1\) while loading, in the master \(--preload\)/);
});

test('--check-config with an app that calls process.exit(0) while loading fails (1) and says so, not a silent pass', async () => {
  const dir = tempDir({ 'exit0.mjs': 'process.exit(0);\nexport default (req, res) => res.end();\n' });
  const { code, output } = await run([path.join(dir, 'exit0.mjs'), '--check-config'], { cwd: dir });
  assert.equal(code, 1, output);
  assert.match(output, /exit0\.mjs ended the process \(exit code 0\) while loading, in the master \(--check-config\)/);
  assert.doesNotMatch(output, /Configuration OK/);
});
