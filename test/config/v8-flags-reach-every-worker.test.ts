// --v8-flags: each worker process sets the flags as it starts (the default frees Buffer memory on
// the allocating thread); a value that is not a V8 flag is refused naming the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, waitUntil } from '../arbiter/support.ts';
import { APP, printConfig, get, run, tempDir } from './config-helpers.ts';

test('--v8-flags reaches the worker: with --trace-gc its garbage collections are traced, even after an unknown flag', async () => {
  let corral: Corral | undefined;
  try {
    // An unknown flag before it: V8 reports that one and still takes the next.
    corral = await startCorral([ROUTES_APP, '-w', '1', '--v8-flags', '--no-such-v8-flag --trace-gc']);
    const [worker] = corral.workerPids;
    const body = Buffer.alloc(1024 * 1024, 1);
    // Request bodies are Buffers: a few megabytes of them make V8 collect garbage.
    await waitUntil(async () => {
      await fetch(corral!.url, { method: 'POST', body });
      return new RegExp(`\\[${worker}:0x[0-9a-f]+\\]\\s+\\d+ ms: (Scavenge|Mark)`).test(corral!.output);
    }, 15_000, `a GC trace line from worker ${worker}`);
    assert.doesNotMatch(corral.output, new RegExp(`\\[${corral.pid}:0x`), 'the master does not set the flags');
    assert.match(corral.output, /--no-such-v8-flag/, 'V8 names the flag it does not know');
  } finally {
    await corral?.stop();
  }
});

test('--v8-flags defaults to freeing Buffer memory on the allocating thread; "" means none', async () => {
  assert.deepEqual(get(await printConfig([APP]), 'v8Flags'), { value: ['--no-concurrent-array-buffer-sweeping'], source: 'default' });
  assert.deepEqual(get(await printConfig([APP, '--v8-flags', '']), 'v8Flags').value, []);
  assert.deepEqual(get(await printConfig([APP, '--v8-flags', '--a-flag --another=2']), 'v8Flags').value, ['--a-flag', '--another=2']);
  assert.deepEqual(get(await printConfig([APP], { env: { CORRAL_V8_FLAGS: '--a-flag --another=2' } }), 'v8Flags').value, ['--a-flag', '--another=2']);
});

test('a --v8-flags value that is not a flag is refused naming the setting', async () => {
  const { code, output } = await run(['--check-config', APP, '--v8-flags', 'trace-gc'], { cwd: tempDir() });
  assert.equal(code, 1, output);
  assert.match(output, /invalid value for --v8-flags: "trace-gc" \(from command line\); expected V8 flags/);
});
