// 1xx responses an app sends from its thread (103 Early Hints, 102 Processing) reach the client
// before the final response, as they do from an async worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { THREAD_APP, threadArgs } from './support.ts';

test('writeEarlyHints and writeProcessing in an app thread reach the client, in order, before the response', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral(threadArgs(THREAD_APP, 2), { timeoutMs: 30_000 });
    const seen: Array<{ status: number; link?: string | string[] }> = [];
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(`${corral!.url}/hints`, { agent: false, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('information', (info) => seen.push({ status: info.statusCode, link: info.headers.link }));
      req.on('timeout', () => req.destroy(new Error('/hints: no answer within 10 s')));
      req.on('error', reject);
    });
    assert.deepEqual(seen, [
      { status: 103, link: '</style.css>; rel=preload; as=style' },
      { status: 102, link: undefined },
    ]);
    assert.deepEqual(reply, { status: 200, body: 'after hints' });
  } finally {
    await corral?.stop();
  }
});
