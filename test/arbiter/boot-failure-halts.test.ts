// A worker that cannot boot makes the master halt with Gunicorn's exit codes instead of respawning in a loop.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCorral, startCorral } from '../helpers/corral.ts';
import { fixture, isAlive } from './support.ts';

function bootedPids(output: string): number[] {
  return [...output.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
}

describe('boot failures', { concurrency: true }, () => {
  test('an app that throws at import: the master exits 4 without respawning', async () => {
    const started = Date.now();
    const result = await runCorral([fixture('throws-at-import.mjs'), '-w', '2', '-b', '127.0.0.1:0'], { timeoutMs: 10_000 });
    assert.equal(result.code, 4, result.output);
    assert.ok(Date.now() - started < 10_000);
    assert.match(result.output, /this app throws at import/, 'the app error is logged');
    assert.match(result.output, /App failed to load/);
    const booted = bootedPids(result.output);
    assert.ok(booted.length >= 1 && booted.length <= 2, `at most one boot per worker, saw ${booted.length}:\n${result.output}`);
    for (const pid of booted) assert.equal(isAlive(pid), false, `worker ${pid} is gone`);
  });

  test('a worker that dies while booting (not an import error): the master exits 3 without respawning', async () => {
    const result = await runCorral([fixture('crashes-while-booting.mjs'), '-w', '2', '-b', '127.0.0.1:0'], { timeoutMs: 10_000 });
    assert.equal(result.code, 3, result.output);
    assert.match(result.output, /uncaught while the worker boots/);
    assert.match(result.output, /Worker failed to boot/);
    const booted = bootedPids(result.output);
    assert.ok(booted.length >= 1 && booted.length <= 2, `at most one boot per worker, saw ${booted.length}:\n${result.output}`);
    for (const pid of booted) assert.equal(isAlive(pid), false, `worker ${pid} is gone`);
  });

  // --boot-timeout 2 with -t 2: a worker has the longer of the two to boot.
  for (const [name, app, args] of [
    ['blocks its event loop at import (async)', 'blocks-while-loading.mjs', []],
    ['awaits for ever at its top level, its event loop free (sync)', 'awaits-forever-while-loading.mjs', ['-k', 'sync']],
    ['blocks an app thread at import, the worker\'s own loop free (thread)', 'blocks-while-loading.mjs', ['-k', 'thread', '--threads', '2']],
  ] as const) {
    test(`an app whose loading never finishes, ${name}: WORKER TIMEOUT while booting, the master exits 3 without respawning`, async () => {
      const started = Date.now();
      const result = await runCorral([fixture(app), '-w', '2', '-t', '2', '--boot-timeout', '2', '-b', '127.0.0.1:0', ...args], { timeoutMs: 15_000 });
      assert.equal(result.code, 3, result.output);
      assert.ok(Date.now() - started >= 2000, 'not before --boot-timeout');
      assert.match(result.output, /WORKER TIMEOUT \(pid: \d+\) while booting: the app did not finish loading in 2 s/);
      assert.match(result.output, /after WORKER TIMEOUT while booting\. Loading the app never finished/);
      assert.match(result.output, /Shutting down: Worker failed to boot/);
      const booted = bootedPids(result.output);
      assert.equal(booted.length, 2, `no worker replaced:\n${result.output}`);
      for (const pid of booted) assert.equal(isAlive(pid), false, `worker ${pid} is gone`);
    });
  }

  test('SIGTERM while the app\'s loading blocks the worker: the master stops within about a second, not --graceful-timeout', async () => {
    const corral = await startCorral([fixture('blocks-while-loading.mjs'), '--graceful-timeout', '20'], { waitFor: /\[fixture\] \d+ blocks while loading/ });
    try {
      const { code, tookMs } = await corral.signalAndWaitExit('SIGTERM', 10_000);
      assert.equal(code, 0, corral.output);
      assert.ok(tookMs < 5000, `stopped in ${tookMs} ms`);
      assert.match(corral.output, /was sent SIGKILL 1 s after a stop while booting/);
    } finally {
      await corral.stop();
    }
  });

  test('an app that ends its own process while loading (process.exit at import): the master exits 3 without respawning', async () => {
    const result = await runCorral([fixture('exits-while-loading.mjs'), '-w', '2', '-b', '127.0.0.1:0'], { timeoutMs: 10_000 });
    assert.equal(result.code, 3, result.output);
    assert.match(result.output, /exited with code 1 before it booted \(did the app end the process while loading\?\)/);
    assert.match(result.output, /Shutting down: Worker failed to boot/);
    const booted = bootedPids(result.output);
    assert.ok(booted.length >= 1 && booted.length <= 2, `at most one boot per worker, saw ${booted.length}:\n${result.output}`);
  });
});

test('-k thread: an app that ends its thread while loading (process.exit at import): the master exits 3 with the same hint', async () => {
  const result = await runCorral([fixture('exits-while-loading.mjs'), '-k', 'thread', '--threads', '2', '-b', '127.0.0.1:0'], { timeoutMs: 10_000 });
  assert.equal(result.code, 3, result.output);
  assert.match(result.output, /the app thread exited with code 1 before it was ready \(did the app end the process while loading\?\)/);
  assert.match(result.output, /Shutting down: Worker failed to boot/);
  assert.doesNotMatch(result.output, /at AppThread/, 'no stack from corral\'s own code');
});
