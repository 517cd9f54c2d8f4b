// A client that goes away mid-request closes the app's req/res in its thread (a Fetch app's request.signal aborts), and frees the thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startCorral } from '../helpers/corral.ts';
import { get, waitUntil } from '../arbiter/support.ts';
import { FETCH_APP, THREAD_APP, threadArgs } from './support.ts';

/** Sends a GET and destroys the connection after `afterMs`, before any response. */
function abandon(url: string, pathname: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(`${url}${pathname}`, { agent: false });
    req.on('error', () => resolve());
    setTimeout(() => req.destroy(), afterMs);
  });
}

test('a Node listener app sees its response close, unfinished, with the request aborted', async () => {
  // One thread: if the abandoned request held it, the next request would never be answered.
  const corral = await startCorral(threadArgs(THREAD_APP, 1), { timeoutMs: 40_000 });
  try {
    await abandon(corral.url, '/hang-until-close', 300);
    const seen = await waitUntil(
      async () => {
        const reply = await get(corral.url, '/last-close', { timeoutMs: 5000 });
        return reply.body === 'none' ? null : reply.body;
      },
      10_000,
      'the app saw its response close',
      50,
    );
    assert.equal(seen, 'closed writableFinished=false aborted=true');
  } finally {
    await corral.stop();
  }
});

test('a Fetch app sees request.signal abort', async () => {
  const corral = await startCorral(threadArgs(FETCH_APP, 1), { timeoutMs: 40_000 });
  try {
    const hello = await get(corral.url, '/');
    assert.equal(hello.body, 'hello from fetch');
    assert.equal(hello.headers['x-kind'], 'fetch');
    await abandon(corral.url, '/wait-abort', 300);
    const seen = await waitUntil(
      async () => {
        const reply = await get(corral.url, '/last-abort', { timeoutMs: 5000 });
        return reply.body === 'none' ? null : reply.body;
      },
      10_000,
      'the handler saw its signal abort',
      50,
    );
    assert.match(seen, /^aborted after \d+ ms$/);
  } finally {
    await corral.stop();
  }
});
