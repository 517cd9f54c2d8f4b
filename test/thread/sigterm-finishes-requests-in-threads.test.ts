// SIGTERM lets requests running in app threads finish, closes each thread's app, and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral } from '../helpers/corral.ts';
import { get } from '../arbiter/support.ts';
import { appFixture } from '../apps/support.ts';
import { THREAD_APP, threadArgs } from './support.ts';

test('requests in flight on two threads complete after SIGTERM', async () => {
  const corral = await startCorral(threadArgs(THREAD_APP, 2), { timeoutMs: 40_000 });
  try {
    const inflight = [0, 1].map(() => get(corral.url, '/sleep?ms=1500', { timeoutMs: 15_000 }));
    await new Promise((r) => setTimeout(r, 400));
    corral.signal('SIGTERM');
    const replies = await Promise.all(inflight);
    assert.deepEqual(replies.map((r) => r.status), [200, 200]);
    const { code } = await corral.waitExit(20_000);
    assert.equal(code, 0, corral.output);
    assert.match(corral.output, /Worker exiting \(pid: \d+\)/);
  } finally {
    await corral.stop();
  }
});

test("each thread's app is closed on stop (Fastify's onClose runs once per thread)", async () => {
  const corral = await startCorral([appFixture('fastify.ts'), '-k', 'thread', '--threads', '2', '-w', '1'], { timeoutMs: 40_000 });
  try {
    assert.equal((await get(corral.url, '/hello')).status, 200);
    corral.signal('SIGTERM');
    const { code } = await corral.waitExit(20_000);
    assert.equal(code, 0);
    assert.equal(corral.output.match(/fastify onClose hook ran/g)?.length, 2, corral.output);
  } finally {
    await corral.stop();
  }
});
