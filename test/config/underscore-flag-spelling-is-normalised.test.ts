// Long flags accept '_' for '-' (Gunicorn spells one --limit-request-field_size), on the command line and in CORRAL_CMD_ARGS. Test process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, printConfig, run, tempDir } from './config-helpers.ts';

// Each test runs its own corral processes in its own temp dir, so they run concurrently.
describe('underscore flag spelling', { concurrency: 4 }, () => {
  test('--graceful_timeout 5 is accepted as --graceful-timeout', async () => {
    const printed = await printConfig(['--graceful_timeout', '5'], { cwd: tempDir() });
    assert.deepEqual(get(printed, 'gracefulTimeout'), { value: 5, source: 'command line' });
  });

  test('underscores work with =VALUE, in boolean --no_ flags and in CORRAL_CMD_ARGS', async () => {
    const printed = await printConfig(['--keep_alive=7', '--worker_connections', '9', '--no_preload'], {
      cwd: tempDir({ 'corral.config.mjs': 'export default { preload: true };\n' }),
      env: { CORRAL_CMD_ARGS: '--log_level warning --error_logfile /tmp/corral-x.log' },
    });
    assert.deepEqual(get(printed, 'keepAlive'), { value: 7, source: 'command line' });
    assert.deepEqual(get(printed, 'workerConnections'), { value: 9, source: 'command line' });
    assert.deepEqual(get(printed, 'preload'), { value: false, source: 'command line' });
    assert.deepEqual(get(printed, 'logLevel'), { value: 'warning', source: 'CORRAL_CMD_ARGS' });
    assert.deepEqual(get(printed, 'errorLogfile'), { value: '/tmp/corral-x.log', source: 'CORRAL_CMD_ARGS' });
  });

  test('a bad value given with the underscore spelling is reported under the flag as the user wrote it', async () => {
    const { code, output } = await run(['--graceful_timeout', 'later', '--print-config'], { cwd: tempDir() });
    assert.equal(code, 1, output);
    assert.match(output, /invalid value for --graceful_timeout: "later" \(from command line\)/);
  });

  test('an unknown underscore flag still gets a suggestion', async () => {
    const { code, output } = await run(['--graceful_timout', '5', '--print-config'], { cwd: tempDir() });
    assert.equal(code, 1, output);
    assert.match(output, /unknown option --graceful_timout in command line; did you mean --graceful-timeout\?/);
  });
});
