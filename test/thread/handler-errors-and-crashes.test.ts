// A handler that throws or rejects gets a 500 and its thread serves on; a thread that crashes is replaced and its request gets a 500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { get } from '../arbiter/support.ts';
import { THREAD_APP, threadArgs, type Who } from './support.ts';

describe('errors in app threads', () => {
  let corral: Corral;
  before(async () => {
    // One thread: every request lands on it, so "the thread lives" is observable.
    corral = await startCorral(threadArgs(THREAD_APP, 1), { timeoutMs: 40_000 });
  });
  after(async () => {
    await corral?.stop();
  });

  async function who(): Promise<Who> {
    const reply = await get(corral.url, '/who', { timeoutMs: 5000 });
    return JSON.parse(reply.body) as Who;
  }

  for (const [route, message] of [
    ['/throw', 'boom from a thread'],
    ['/reject', 'rejected in a thread'],
  ] as const) {
    test(`GET ${route}: 500, the stack is logged, the same thread serves the next request`, async () => {
      const before = await who();
      const from = corral.output.length;
      const reply = await get(corral.url, route, { timeoutMs: 5000 });
      assert.equal(reply.status, 500);
      assert.equal(reply.body, 'Internal Server Error\n');
      const logged = await corral.waitFor(new RegExp(`\\[ERROR\\] Error handling request GET ${route}\\nError: ${message}\\n\\s+at app \\(.*test/fixtures/thread/app\\.ts:\\d+:\\d+\\)`), 5000, from);
      assert.ok(logged);
      assert.deepEqual(await who(), before, 'same process, same thread');
    });
  }

  test('a thread that dies of an uncaught exception: its request gets 500, a new thread serves, same process', async () => {
    const before = await who();
    const from = corral.output.length;
    const reply = await get(corral.url, '/crash', { timeoutMs: 10_000 });
    assert.equal(reply.status, 500);
    const died = await corral.waitFor(/\[ERROR\] Worker \(pid:(\d+)\) app thread (\d+) crashed; starting another:\nError: uncaught in a thread timer/, 5000, from);
    assert.equal(Number(died[1]), before.pid);
    assert.equal(Number(died[2]), before.threadId);
    await corral.waitFor(new RegExp(`app thread \\d+ ready, in place of thread ${before.threadId}`), 20_000, from);
    const after = await who();
    assert.equal(after.pid, before.pid, 'the worker process lives on');
    assert.notEqual(after.threadId, before.threadId, 'a new thread serves');
    assert.equal(corral.workerPids.length, 1);
  });
});
