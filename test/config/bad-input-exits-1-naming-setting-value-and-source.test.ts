// Bad flags, keys and values exit 1 with a message naming what was written, the value, where it came from and what is allowed. Test process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { StartOptions } from '../helpers/corral.ts';
import { APP, run, tempDir } from './config-helpers.ts';

/**
 * Runs corral with --check-config (so a missing validation shows up as a quick exit 0, not a
 * server that never stops) and asserts a clean failure: exit 1, one `Error:` message, no stack.
 */
async function fails(args: string[], opts: StartOptions = {}): Promise<string> {
  const { code, output } = await run(['--check-config', ...args], { cwd: tempDir(), ...opts });
  assert.equal(code, 1, `expected exit 1 for corral ${args.join(' ')}:\n${output}`);
  assert.match(output, /^Error: /m, output);
  return output;
}

function noStack(output: string): void {
  assert.doesNotMatch(output, /^\s+at /m, `a configuration error should not print a stack trace:\n${output}`);
}

// Each test runs its own corral processes in its own temp dir, so they run concurrently.
describe('bad input', { concurrency: 4 }, () => {
  test('an unknown flag names the flag and suggests the nearest one', async () => {
    const output = await fails(['--wokers', '2', APP]);
    assert.match(output, /unknown option --wokers in command line; did you mean --workers\?/);
    assert.match(output, /corral --help/);
    noStack(output);
  });

  test('a Gunicorn flag corral does not have says what to do instead, not a misleading nearest name', async () => {
    const output = await fails(['--reload', APP]);
    assert.match(output, /unknown option --reload in command line: Gunicorn's --reload is not supported: corral does not watch files; send HUP/);
    assert.doesNotMatch(output, /did you mean --preload/);
    noStack(output);
  });

  test('an unknown flag in CORRAL_CMD_ARGS says it came from there', async () => {
    const output = await fails([APP], { env: { CORRAL_CMD_ARGS: '--keep-alvie 3' } });
    assert.match(output, /unknown option --keep-alvie in CORRAL_CMD_ARGS; did you mean --keep-alive\?/);
  });

  test('a flag missing its value says which value it needs', async () => {
    const output = await fails([APP, '--timeout']);
    assert.match(output, /option --timeout needs a value \(SECONDS\) in command line/);
  });

  test('a flag followed by another option instead of its value says so, not taking the option as the value', async () => {
    const output = await fails([APP, '-n', '--preload']);
    assert.match(output, /option -n needs a value \(STRING\) in command line, but the next argument is the option --preload; write -n=--preload if that is the value/);
    noStack(output);
  });

  test('--no-X=VALUE with a value that is not a boolean is rejected', async () => {
    const output = await fails([APP, '--no-rebalance=maybe']);
    assert.match(output, /invalid value for --no-rebalance: "maybe" \(from command line\); expected true or false/);
  });

  test('a misspelt CORRAL_<NAME> variable is reported with the nearest setting, and an unrelated CORRAL_ one is not', async () => {
    const { code, output } = await run(['--check-config', APP], { cwd: tempDir(), env: { CORRAL_WOKERS: '3', CORRAL_APP_SECRET: 'x' } });
    assert.equal(code, 0, output);
    assert.match(output, /environment variable CORRAL_WOKERS is not a corral setting and is ignored; did you mean CORRAL_WORKERS\?/);
    assert.doesNotMatch(output, /CORRAL_APP_SECRET/);
  });

  for (const [args, expect] of [
    [['-k', 'sync', '--worker-connections', '50'], /\[WARNING\] --worker-connections 50 is ignored by the sync worker class/],
    [['-k', 'async', '--share-threads'], /\[WARNING\] --share-threads is ignored by the async worker class/],
    [['-t', '1', '--blocked-warning', '5'], /\[WARNING\] --blocked-warning 5 never fires: --timeout 1 kills a blocked worker first/],
    [['-k', 'sync', '--threads', '4'], /\[WARNING\] --threads 4 is ignored by the sync worker class/],
  ] as const) {
    test(`a setting that does nothing with the others (${args.join(' ')}) is named in a WARNING, and the server starts`, async () => {
      const { code, output } = await run(['--check-config', ...args, APP], { cwd: tempDir() });
      assert.equal(code, 0, output);
      assert.match(output, expect);
    });
  }

  test('CORRAL_CONFIG is reported as not read: -c is a command-line option only', async () => {
    const { code, output } = await run(['--check-config', APP], { cwd: tempDir(), env: { CORRAL_CONFIG: 'other.mjs' } });
    assert.equal(code, 0, output);
    assert.match(output, /environment variable CORRAL_CONFIG is ignored: -c is a command-line option only/);
  });

  const BAD_VALUES: Array<{ title: string; args: string[]; env?: Record<string, string>; expect: RegExp[] }> = [
    {
      title: '-w abc',
      args: ['-w', 'abc'],
      expect: [/invalid value for -w: "abc" \(from command line\)/, /expected an integer from 1 to 1024, or "auto"/],
    },
    {
      title: '--workers 0',
      args: ['--workers', '0'],
      expect: [/invalid value for --workers: "0" \(from command line\)/, /from 1 to 1024/],
    },
    {
      title: 'WEB_CONCURRENCY=abc',
      args: [],
      env: { WEB_CONCURRENCY: 'abc' },
      expect: [/invalid value for WEB_CONCURRENCY: "abc"; expected an integer from 1 to 1024/],
    },
    {
      title: '--timeout -1',
      args: ['--timeout', '-1'],
      expect: [/invalid value for --timeout: "-1" \(from command line\)/, /expected a number of seconds >= 0/],
    },
    {
      title: '--timeout 0.01, too short to tell a blocked loop from a busy one',
      args: ['--timeout', '0.01'],
      expect: [/invalid value for --timeout: "0.01" \(from command line\)/, /expected 0 \(off\) or a number of seconds >= 1/],
    },
    {
      title: '--boot-timeout soon',
      args: ['--boot-timeout', 'soon'],
      expect: [/invalid value for --boot-timeout: "soon" \(from command line\)/, /expected a number of seconds >= 0/],
    },
    {
      title: '--log-level loud',
      args: ['--log-level', 'loud'],
      expect: [/invalid value for --log-level: "loud" \(from command line\)/, /one of debug, info, warning, error, critical/],
    },
    {
      title: '-b 1.2.3.4:99999',
      args: ['-b', '1.2.3.4:99999'],
      expect: [/invalid value for -b: "1\.2\.3\.4:99999" \(from command line\)/, /HOST:PORT/, /port from 0 to 65535/],
    },
    {
      title: 'a bad second -b',
      args: ['-b', '127.0.0.1:8000', '-b', 'localhost:http'],
      expect: [/invalid value for -b: "localhost:http" \(from command line\); expected HOST, HOST:PORT/],
    },
    {
      title: 'a bad item in CORRAL_BIND',
      args: [],
      env: { CORRAL_BIND: '127.0.0.1:8000,[::1:80' },
      expect: [/invalid value for CORRAL_BIND: "\[::1:80" \(from environment variable CORRAL_BIND\)/, /\[IPv6\]:PORT/],
    },
    {
      title: '--keep-alive x from CORRAL_CMD_ARGS',
      args: [],
      env: { CORRAL_CMD_ARGS: '--keep-alive x' },
      expect: [/invalid value for --keep-alive: "x" \(from CORRAL_CMD_ARGS\)/, /a number of seconds >= 0/],
    },
    {
      title: 'CORRAL_BACKLOG=0',
      args: [],
      env: { CORRAL_BACKLOG: '0' },
      expect: [/invalid value for CORRAL_BACKLOG: "0" \(from environment variable CORRAL_BACKLOG\)/, /an integer from 1 to 65535/],
    },
    {
      title: 'CORRAL_WORKER_CLASS=threads',
      args: [],
      env: { CORRAL_WORKER_CLASS: 'threads' },
      expect: [/invalid value for CORRAL_WORKER_CLASS: "threads"/, /expected one of async/],
    },
    {
      title: '-e without =',
      args: ['-e', 'JUSTAKEY'],
      expect: [/invalid value for -e: "JUSTAKEY" \(from command line\)/, /KEY=VALUE/],
    },
  ];

  for (const { title, args, env, expect } of BAD_VALUES) {
    test(`a bad value (${title}) exits 1 naming the setting, the value, its origin and what is allowed`, async () => {
      const output = await fails([...args, APP], { env });
      for (const re of expect) assert.match(output, re);
      noStack(output);
    });
  }

  test("a bad value in the config file (workers: 'many') names the key, the value and the file", async () => {
    const cwd = tempDir({ 'corral.config.mjs': "export default { workers: 'many' };\n" });
    const output = await fails([APP], { cwd });
    const file = path.join(cwd, 'corral.config.mjs');
    assert.match(output, /invalid value for workers: "many"/);
    assert.ok(output.includes(`(from config file ${file})`), output);
    assert.match(output, /expected an integer from 1 to 1024, or "auto"/);
    noStack(output);
  });

  for (const [config, expect] of [
    ["{ bind: ['127.0.0.1:8000', 42] }", /invalid value for bind: 42 .*; expected a list of strings/],
    ['{ env: { GOOD: 1, BAD: { x: 1 } } }', /invalid value for env: \{"BAD":\{"x":1\}\} .*; expected an object of variable names to strings/],
    ['{ workers: NaN }', /invalid value for workers: NaN /],
  ] as const) {
    test(`a config-file value of the wrong type (${config}) is refused, not coerced`, async () => {
      const cwd = tempDir({ 'corral.config.mjs': `export default ${config};\n` });
      const output = await fails([APP], { cwd });
      assert.match(output, expect);
      assert.ok(output.includes(`(from config file ${path.join(cwd, 'corral.config.mjs')})`), output);
      noStack(output);
    });
  }

  test('a -c path that is a directory says so', async () => {
    const cwd = tempDir();
    const output = await fails(['-c', '.', APP], { cwd });
    assert.ok(output.includes(`config file ${cwd} (from -c . in command line) is a directory`), output);
    noStack(output);
  });

  test('an unknown key in the config file names the key and the file and suggests the nearest', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default { workers: 2, keepalive: 10 };\n' });
    const output = await fails([APP], { cwd });
    const file = path.join(cwd, 'corral.config.mjs');
    assert.ok(output.includes(`unknown setting "keepalive" in config file ${file}`), output);
    assert.match(output, /did you mean "keepAlive"\?/);
    noStack(output);
  });

  test('a command-line-only setting in the config file is refused as unknown', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default { printConfig: true };\n' });
    const output = await fails([APP], { cwd });
    assert.match(output, /"printConfig" in config file .* is a command-line option only: use --print-config instead/);
  });

  test('a config file with a syntax error exits 1 naming the file', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default { workers: 2,, };\n' });
    const output = await fails([APP], { cwd });
    assert.ok(output.includes(`could not load config file ${path.join(cwd, 'corral.config.mjs')}`), output);
    assert.match(output, /a syntax error at corral\.config\.mjs:1: SyntaxError/);
  });

  test('a TypeScript config file with a syntax error exits 1 naming the file', async () => {
    const cwd = tempDir({ 'corral.config.ts': 'const n: number = ;\nexport default { workers: n };\n' });
    const output = await fails([APP], { cwd });
    assert.ok(output.includes(`could not load config file ${path.join(cwd, 'corral.config.ts')}`), output);
    assert.match(output, /a syntax error at corral\.config\.ts:1:\d+: SyntaxError/);
  });

  test('a config file whose settings are a named export `config` says to export them as the default', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export const config = { workers: 2 };\n' });
    const output = await fails([APP], { cwd });
    assert.match(output, /has a named export `config` and no default export: export the settings as the default/);
    noStack(output);
  });

  test('a config file that does not export an object says what it must export', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default 42;\n' });
    const output = await fails([APP], { cwd });
    assert.match(output, /config file .*corral\.config\.mjs must export an object/);
  });

  test('a missing -c file names the path', async () => {
    const cwd = tempDir();
    const output = await fails(['-c', 'missing/corral.prod.mjs', APP], { cwd });
    assert.ok(output.includes(`config file not found: ${path.join(cwd, 'missing', 'corral.prod.mjs')}`), output);
    assert.match(output, /missing\/corral\.prod\.mjs/);
    noStack(output);
  });

  test('a -c file missing from CORRAL_CMD_ARGS says where the path came from', async () => {
    const cwd = tempDir();
    const output = await fails([APP], { cwd, env: { CORRAL_CMD_ARGS: '-c prod.mjs' } });
    assert.ok(output.includes(`config file not found: ${path.join(cwd, 'prod.mjs')} (from -c prod.mjs in CORRAL_CMD_ARGS)`), output);
  });

  test('an invalid $PORT is reported against the default bind it builds', async () => {
    const output = await fails([APP], { env: { PORT: 'http' } });
    assert.match(output, /invalid value for bind: "0\.0\.0\.0:http" \(from \$PORT\); expected HOST, HOST:PORT/);
    noStack(output);
  });

  test('an invalid $PORT does not matter when the bind comes from elsewhere', async () => {
    const { code, output } = await run(['--check-config', '-b', '127.0.0.1:0', APP], { cwd: tempDir(), env: { PORT: 'http' } });
    assert.equal(code, 0, output);
  });

  test('no APP_MODULE, neither as an argument nor in the config file, exits 1 with a clear message', async () => {
    const { code, output } = await run([], { cwd: tempDir() });
    assert.equal(code, 1, output);
    assert.match(output, /^Error: no APP_MODULE given/m);
    assert.match(output, /corral app\.ts/);
    noStack(output);
  });

  test('APP_MODULE may come from the config file instead of the command line', async () => {
    const cwd = tempDir({ 'corral.config.mjs': `export default { app: ${JSON.stringify(APP)} };\n` });
    const { code, output } = await run(['--check-config'], { cwd });
    assert.equal(code, 0, output);
    assert.match(output, /Configuration OK/);
  });
});
