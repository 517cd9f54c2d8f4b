// The master logs its address, worker class and each booted worker like Gunicorn, and every worker serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, distinctPidsServing, portOf } from './support.ts';

test('logs "Listening at", "Using worker" and one "Booting worker" per worker; -w 3 gives 3 serving pids', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '3']);
    const listening = corral.output.match(/\[INFO\] Listening at: http:\/\/127\.0\.0\.1:(\d+) \((\d+)\)/);
    assert.ok(listening, `no "Listening at: http://127.0.0.1:PORT (pid)" line:\n${corral.output}`);
    assert.ok(Number(listening[1]) > 0, 'the log names the real port, not 0');
    assert.equal(Number(listening[2]), corral.pid, 'the pid in "Listening at" is the master pid');
    assert.equal(portOf(corral.url), Number(listening[1]));
    assert.match(corral.output, /\[INFO\] Using worker: async\n/);

    const booted = corral.workerPids;
    assert.equal(booted.length, 3, `expected 3 "Booting worker" lines:\n${corral.output}`);
    assert.equal(new Set(booted).size, 3, 'worker pids are distinct');
    assert.ok(!booted.includes(corral.pid), 'workers are not the master');

    const serving = await distinctPidsServing(corral.url, 3);
    assert.deepEqual([...serving].sort(), [...booted].sort(), 'every booted worker answers, and only they do');
  } finally {
    await corral?.stop();
  }
});
