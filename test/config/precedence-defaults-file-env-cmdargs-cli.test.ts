// --print-config shows each setting's effective value and source; each layer overrides the one below. Test process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { get, printConfig, tempDir } from './config-helpers.ts';
import { SETTINGS } from '../../dist/config/registry.js';

const FILE = [
  'export default {',
  '  workers: 2,',
  "  bind: '127.0.0.1:8101',",
  '  timeout: 40,',
  '  keepAlive: 6,',
  '};',
  '',
].join('\n');

const ENV = { CORRAL_WORKERS: '3', CORRAL_BIND: '127.0.0.1:8102', CORRAL_TIMEOUT: '50', CORRAL_KEEP_ALIVE: '7' };
const CMD_ARGS = '-w 4 -b 127.0.0.1:8103 -t 60 --keep-alive 8';
const CLI = ['-w', '5', '--bind', '127.0.0.1:8104', '--timeout=70', '--keep-alive', '9'];

// Each test runs its own corral processes in its own temp dir, so they run concurrently.
describe('--print-config and precedence', { concurrency: 4 }, () => {
  test('--print-config lists every declared setting with its value and source', async () => {
    const printed = await printConfig([], { cwd: tempDir() });
    assert.equal(printed.configFile, 'none');
    assert.deepEqual([...printed.settings.keys()].sort(), SETTINGS.map((s) => s.name).sort());
    assert.deepEqual(get(printed, 'printConfig'), { value: true, source: 'command line' });
  });

  test('defaults: bind 127.0.0.1:8000, workers 1, keepAlive 5, backlog 2048, timeout 30, gracefulTimeout 30', async () => {
    const printed = await printConfig([], { cwd: tempDir() });
    const expected: Record<string, unknown> = {
      bind: ['127.0.0.1:8000'],
      workers: 1,
      keepAlive: 5,
      backlog: 2048,
      timeout: 30,
      gracefulTimeout: 30,
      workerClass: 'async',
      logLevel: 'info',
      errorLogfile: '-',
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(get(printed, name), { value, source: 'default' }, name);
    }
  });

  test('PORT makes the default bind 0.0.0.0:$PORT; WEB_CONCURRENCY the default workers', async () => {
    const printed = await printConfig([], { cwd: tempDir(), env: { PORT: '9123', WEB_CONCURRENCY: '3' } });
    assert.deepEqual(get(printed, 'bind'), { value: ['0.0.0.0:9123'], source: 'default (from $PORT)' });
    assert.deepEqual(get(printed, 'workers'), { value: 3, source: 'default (from $WEB_CONCURRENCY)' });
  });

  test('PORT and WEB_CONCURRENCY are only defaults: a config file overrides them', async () => {
    const cwd = tempDir({ 'corral.config.mjs': FILE });
    const printed = await printConfig([], { cwd, env: { PORT: '9123', WEB_CONCURRENCY: '3' } });
    assert.deepEqual(get(printed, 'bind').value, ['127.0.0.1:8101']);
    assert.deepEqual(get(printed, 'workers').value, 2);
  });

  test('-w auto and CORRAL_WORKERS=auto mean one worker per available core', async () => {
    const cores = os.availableParallelism();
    const cli = await printConfig(['-w', 'auto'], { cwd: tempDir() });
    assert.deepEqual(get(cli, 'workers'), { value: cores, source: 'command line' });
    const env = await printConfig([], { cwd: tempDir(), env: { CORRAL_WORKERS: 'auto' } });
    assert.deepEqual(get(env, 'workers'), { value: cores, source: 'environment CORRAL_WORKERS' });
  });

  test('the config file overrides the defaults', async () => {
    const cwd = tempDir({ 'corral.config.mjs': FILE });
    const file = path.join(cwd, 'corral.config.mjs');
    const printed = await printConfig([], { cwd });
    assert.equal(printed.configFile, file);
    const source = `config file ${file}`;
    assert.deepEqual(get(printed, 'workers'), { value: 2, source });
    assert.deepEqual(get(printed, 'bind'), { value: ['127.0.0.1:8101'], source });
    assert.deepEqual(get(printed, 'timeout'), { value: 40, source });
    assert.deepEqual(get(printed, 'keepAlive'), { value: 6, source });
    assert.deepEqual(get(printed, 'backlog'), { value: 2048, source: 'default' });
  });

  test('CORRAL_<SETTING> environment variables override the config file', async () => {
    const cwd = tempDir({ 'corral.config.mjs': FILE });
    const printed = await printConfig([], { cwd, env: ENV });
    assert.deepEqual(get(printed, 'workers'), { value: 3, source: 'environment CORRAL_WORKERS' });
    assert.deepEqual(get(printed, 'bind'), { value: ['127.0.0.1:8102'], source: 'environment CORRAL_BIND' });
    assert.deepEqual(get(printed, 'timeout'), { value: 50, source: 'environment CORRAL_TIMEOUT' });
    assert.deepEqual(get(printed, 'keepAlive'), { value: 7, source: 'environment CORRAL_KEEP_ALIVE' });
  });

  test('CORRAL_CMD_ARGS overrides CORRAL_<SETTING> variables and the config file', async () => {
    const cwd = tempDir({ 'corral.config.mjs': FILE });
    const printed = await printConfig([], { cwd, env: { ...ENV, CORRAL_CMD_ARGS: CMD_ARGS } });
    for (const [name, value] of Object.entries({ workers: 4, bind: ['127.0.0.1:8103'], timeout: 60, keepAlive: 8 })) {
      assert.deepEqual(get(printed, name), { value, source: 'CORRAL_CMD_ARGS' }, name);
    }
  });

  test('the command line overrides CORRAL_CMD_ARGS, CORRAL_<SETTING> variables and the config file', async () => {
    const cwd = tempDir({ 'corral.config.mjs': FILE });
    const printed = await printConfig(CLI, { cwd, env: { ...ENV, CORRAL_CMD_ARGS: CMD_ARGS } });
    for (const [name, value] of Object.entries({ workers: 5, bind: ['127.0.0.1:8104'], timeout: 70, keepAlive: 9 })) {
      assert.deepEqual(get(printed, name), { value, source: 'command line' }, name);
    }
  });

  test('each setting comes from the highest layer that sets it, independently of the others', async () => {
    const cwd = tempDir({ 'corral.config.mjs': FILE });
    const env = { CORRAL_WORKERS: '3', CORRAL_TIMEOUT: '50', CORRAL_KEEP_ALIVE: '7', CORRAL_CMD_ARGS: '-w 4 --keep-alive 8' };
    const printed = await printConfig(['-w', '5'], { cwd, env });
    assert.deepEqual(get(printed, 'workers'), { value: 5, source: 'command line' });
    assert.deepEqual(get(printed, 'keepAlive'), { value: 8, source: 'CORRAL_CMD_ARGS' });
    assert.deepEqual(get(printed, 'timeout'), { value: 50, source: 'environment CORRAL_TIMEOUT' });
    assert.deepEqual(get(printed, 'bind'), { value: ['127.0.0.1:8101'], source: `config file ${path.join(cwd, 'corral.config.mjs')}` });
    assert.deepEqual(get(printed, 'backlog'), { value: 2048, source: 'default' });
  });

  test('repeated -b flags and a comma-separated CORRAL_BIND give several addresses', async () => {
    const cli = await printConfig(['-b', '127.0.0.1:8201', '-b', 'unix:/tmp/corral-test.sock'], { cwd: tempDir() });
    assert.deepEqual(get(cli, 'bind').value, ['127.0.0.1:8201', 'unix:/tmp/corral-test.sock']);
    const env = await printConfig([], { cwd: tempDir(), env: { CORRAL_BIND: '127.0.0.1:8202, [::1]:8203' } });
    assert.deepEqual(get(env, 'bind').value, ['127.0.0.1:8202', '[::1]:8203']);
  });

  test('CORRAL_CMD_ARGS is split like a shell: quotes group words', async () => {
    const printed = await printConfig([], { cwd: tempDir(), env: { CORRAL_CMD_ARGS: `-n 'my app' -e "GREETING=hello world"` } });
    assert.deepEqual(get(printed, 'name'), { value: 'my app', source: 'CORRAL_CMD_ARGS' });
    assert.deepEqual(get(printed, 'env'), { value: ['GREETING=hello world'], source: 'CORRAL_CMD_ARGS' });
  });
});
