// As in Gunicorn, --threads above 1 with the default worker class selects the thread class; gthread is its alias.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral } from '../helpers/corral.ts';
import { get } from '../arbiter/support.ts';
import { THREAD_APP, type Who } from './support.ts';

test('--threads 3 without -k runs three app threads', async () => {
  const corral = await startCorral([THREAD_APP, '-w', '1', '--threads', '3'], { timeoutMs: 40_000 });
  try {
    assert.match(corral.output, /\[INFO\] Using worker: thread\n/);
    assert.match(corral.output, /serving Node request listener \(default export of test\/fixtures\/thread\/app\.ts\) in 3 threads per worker/);
    // Three slow requests at once run on three different threads of the one worker.
    const replies = await Promise.all([0, 1, 2].map(() => get(corral.url, '/sleep?ms=400', { timeoutMs: 10_000 })));
    assert.equal(new Set(replies.map((r) => r.body)).size, 3, replies.map((r) => r.body).join(','));
    const who = JSON.parse((await get(corral.url, '/who')).body) as Who;
    assert.deepEqual(corral.workerPids, [who.pid]);
  } finally {
    await corral.stop();
  }
});

test('-k gthread is accepted with a notice and means thread', async () => {
  const corral = await startCorral([THREAD_APP, '-w', '1', '-k', 'gthread', '--threads', '2'], { timeoutMs: 40_000 });
  try {
    assert.match(corral.output, /Worker class "gthread" is Gunicorn's name; using corral's "thread"/);
    assert.match(corral.output, /Using worker: thread/);
    assert.equal((await get(corral.url, '/who')).status, 200);
  } finally {
    await corral.stop();
  }
});
