// Short CPU-bound requests queued for a thread can run back to back without its event loop turning;
// that chain is not a stuck thread: none is warned about or terminated, every request succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { THREAD_APP, threadArgs } from './support.ts';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 30 s`)));
    req.on('error', reject);
  });
}

test('twenty 300 ms requests queued on two threads (3 s each) with --timeout 2: all answered 200, no thread stuck', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral(threadArgs(THREAD_APP, 2, '--timeout', '2'), { timeoutMs: 30_000 });
    const mark = corral.output.length;
    const statuses = await Promise.all(Array.from({ length: 20 }, () => get(`${corral!.url}/busy?ms=300`)));
    assert.deepEqual(statuses, Array(20).fill(200), corral.output.slice(mark));
    assert.doesNotMatch(corral.output.slice(mark), /stuck|blocked for/, 'no thread reported as stuck or blocked');
  } finally {
    await corral?.stop();
  }
});
