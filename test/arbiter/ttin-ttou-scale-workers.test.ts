// SIGTTIN adds one worker and SIGTTOU removes one, without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, distinctPidsServing, get, isAlive, liveChildren, waitUntil } from './support.ts';

test('TTIN gives one worker more, TTOU one less', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '2']);
    const master = corral.pid;
    await waitUntil(() => liveChildren(master).length === 2, 3000, 'two workers run');

    let mark = corral.output.length;
    corral.signal('SIGTTIN');
    const [, added] = await corral.waitFor(/Booting worker with pid: (\d+)/, 5000, mark);
    await waitUntil(() => liveChildren(master).length === 3, 3000, () => `three workers run (${liveChildren(master).join(', ')})`);
    assert.ok(liveChildren(master).includes(Number(added)));
    const serving = await distinctPidsServing(corral.url, 3);
    assert.ok(serving.has(Number(added)), 'the added worker serves');

    mark = corral.output.length;
    corral.signal('SIGTTOU');
    const [, removed] = await corral.waitFor(/Stopping worker \(pid:(\d+)\)/, 5000, mark);
    await corral.waitFor(new RegExp(`Worker exiting \\(pid: ${removed}\\)`), 5000, mark);
    await waitUntil(() => liveChildren(master).length === 2, 3000, () => `two workers run (${liveChildren(master).join(', ')})`);
    assert.ok(!liveChildren(master).includes(Number(removed)));
    assert.doesNotMatch(corral.output.slice(mark), /Booting worker/, 'the removed worker is not replaced');
  } finally {
    await corral?.stop();
  }
});

test('TTOU stops the oldest worker, and kills it at --graceful-timeout if it does not finish', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '2', '--graceful-timeout', '1']);
    const [oldest] = corral.workerPids;
    // Block both workers' event loops: a blocked worker accepts nothing, so the second request
    // reaches the other worker.
    for (let i = 0; i < 2; i++) {
      const seen = corral.output.length;
      void get(corral.url, '/block', { timeoutMs: 10_000 }).catch(() => undefined);
      await corral.waitFor(/\[fixture\] \d+ blocking the event loop/, 5000, seen);
    }
    const mark = corral.output.length;
    corral.signal('SIGTTOU');
    const [, removed] = await corral.waitFor(/Stopping worker \(pid:(\d+)\): more workers than wanted/, 5000, mark);
    assert.equal(Number(removed), oldest, 'Gunicorn stops the oldest worker first');
    await corral.waitFor(new RegExp(`Worker \\(pid:${oldest}\\) was sent SIGKILL after --graceful-timeout 1 s`), 5000, mark);
    await waitUntil(() => !isAlive(oldest!), 2000, `worker ${oldest} is gone`);
    assert.doesNotMatch(corral.output.slice(mark), /Booting worker/, 'the removed worker is not replaced');
  } finally {
    await corral?.stop(3000);
  }
});
