// A thread blocked on a request never blocks the others; past --timeout it is reported with its stack, terminated and replaced, and the worker process lives on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startCorral } from '../helpers/corral.ts';
import { get as getRaw } from '../arbiter/support.ts';
import { THREAD_APP, threadArgs, type Who } from './support.ts';

async function who(url: string): Promise<Who> {
  const reply = await getRaw(url, '/who', { timeoutMs: 5000 });
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as Who;
}

/** Starts a request that will never be answered normally; resolves with its status, or 'closed'. */
function hold(url: string, pathname: string): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const req = http.get(`${url}${pathname}`, { agent: false, timeout: 20_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve('closed'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('closed'));
  });
}

test('a thread spinning forever: others keep serving, WARNING then ERROR with its stack, thread replaced, same worker', async () => {
  const corral = await startCorral(threadArgs(THREAD_APP, 2, '--timeout', '2', '--blocked-warning', '0.5'), { timeoutMs: 40_000 });
  try {
    const before = await who(corral.url);
    const blocked = hold(corral.url, '/block');

    const warning = await corral.waitFor(/\[WARNING\] Worker \(pid:(\d+)\) app thread (\d+) event loop blocked for [\d.]+ s \(--blocked-warning 0\.5 s\)\n(?: {2}.*\n)+/, 15_000);
    assert.equal(Number(warning[1]), before.pid);
    const stuckThread = Number(warning[2]);
    assert.match(warning[0], /at blockForever \(.*test\/fixtures\/thread\/app\.ts:10:\d+\)/, 'the stack names the function, its .ts file and line');
    assert.match(warning[0], /at app \(.*test\/fixtures\/thread\/app\.ts:\d+:\d+\)/);
    assert.match(warning[0], /Request on this thread:\n\s+GET \/block \([\d.]+ s\)/);

    // While that thread spins, the worker's other connections are answered by the other thread.
    for (let i = 0; i < 5; i++) {
      const w = await who(corral.url);
      assert.equal(w.pid, before.pid);
      assert.notEqual(w.threadId, stuckThread, 'no request was handed to the blocked thread');
    }

    const error = await corral.waitFor(
      new RegExp(`\\[ERROR\\] Worker \\(pid:${before.pid}\\) app thread ${stuckThread} stuck for [\\d.]+ s \\(--timeout 2 s\\); terminating it and starting another\\n(?: {2}.*\\n)+`),
      15_000,
    );
    assert.match(error[0], /JavaScript stack of the blocked code:\n\s+at blockForever \(.*test\/fixtures\/thread\/app\.ts:10:\d+\)/);
    assert.match(error[0], /Request on this thread:\n\s+GET \/block \([\d.]+ s\)/);

    const status = await blocked;
    assert.ok(status === 500 || status === 'closed', `the stuck request got ${status}`);

    // A new thread takes the stuck one's place: two requests at once run on two threads, neither the old one.
    await corral.waitFor(new RegExp(`app thread \\d+ ready, in place of thread ${stuckThread}`), 20_000);
    const threads = await Promise.all([0, 1].map(() => getRaw(corral.url, '/sleep?ms=300', { timeoutMs: 10_000 })));
    const ids = threads.map((r) => Number(r.body));
    assert.equal(new Set(ids).size, 2, `two threads served (${ids})`);
    assert.ok(!ids.includes(stuckThread));
    assert.equal((await who(corral.url)).pid, before.pid, 'the worker process was not replaced');
    assert.deepEqual(corral.workerPids, [before.pid]);
    assert.doesNotMatch(corral.output, /WORKER TIMEOUT/);
  } finally {
    await corral.stop();
  }
});

test('a CPU-bound request past --blocked-warning is warned about once, and completes', async () => {
  const corral = await startCorral(threadArgs(THREAD_APP, 1, '--timeout', '30', '--blocked-warning', '0.3'), { timeoutMs: 40_000 });
  try {
    const reply = await getRaw(corral.url, '/busy?ms=2500', { timeoutMs: 15_000 });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'done');
    // The warning is logged once its stack is read, which can end after the request did. (On a
    // loaded machine a thread merely not scheduled for a moment can be warned about too, with no
    // request: only the warnings naming this one count.)
    const named = /\[WARNING\] Worker \(pid:\d+\) app thread \d+ event loop blocked[^\n]*\n(?: {2}.*\n)*? {4}GET \/busy\?ms=2500 /g;
    await corral.waitFor(new RegExp(named.source), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const warnings = corral.output.match(named) ?? [];
    assert.equal(warnings.length, 1, corral.output);
    assert.match(warnings[0]!, /JavaScript stack of the blocked code:\n {4}at busyFor \(.*test\/fixtures\/thread\/app\.ts:15:\d+\)/);
    assert.doesNotMatch(corral.output, /stuck for/);
  } finally {
    await corral.stop();
  }
});
