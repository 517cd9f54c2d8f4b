// Errors in the app: a failing request gets a 500 and a logged stack and the worker lives on; an uncaught
// exception outside any request ends the worker, and the master replaces it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, waitUntil } from '../arbiter/support.ts';

let corral: Corral;

before(async () => {
  corral = await startCorral([ROUTES_APP, '-w', '1']);
});

after(async () => {
  await corral?.stop();
});

/** The pid of the worker answering now (a fresh connection each time). */
async function servingPid(): Promise<string> {
  const reply = await get(corral.url, '/', { headers: { connection: 'close' } });
  assert.equal(reply.status, 200);
  return reply.body;
}

test('a handler that throws synchronously: 500, the stack is logged, the same worker serves next', async () => {
  const pid = await servingPid();
  const mark = corral.output.length;
  const reply = await get(corral.url, '/throw');
  assert.equal(reply.status, 500);
  assert.equal(reply.body, 'Internal Server Error\n');
  await corral.waitFor(/\[ERROR\] Error handling request GET \/throw\n[^]*thrown by \/throw\n\s+at routes \(.*routes\.mjs:\d+/, 3000, mark);
  assert.equal(await servingPid(), pid);
});

test('a handler whose promise rejects: 500, logged, the same worker serves next', async () => {
  const pid = await servingPid();
  const mark = corral.output.length;
  const reply = await get(corral.url, '/reject');
  assert.equal(reply.status, 500);
  await corral.waitFor(/\[ERROR\] Error handling request GET \/reject\n[^]*rejected by \/reject/, 3000, mark);
  assert.equal(await servingPid(), pid);
});

test('an unhandled rejection outside the response is logged and the worker survives', async () => {
  const pid = await servingPid();
  const mark = corral.output.length;
  const reply = await get(corral.url, '/unhandled');
  assert.equal(reply.status, 200);
  assert.equal(reply.body, pid);
  await corral.waitFor(/left unhandled by \/unhandled/, 3000, mark);
  assert.match(corral.output.slice(mark), /\[ERROR\] Unhandled promise rejection/);
  assert.equal(await servingPid(), pid);
  assert.doesNotMatch(corral.output.slice(mark), /Booting worker/);
});

// Last in this file: it replaces the worker the tests above rely on.
test('an uncaught exception (thrown from a timer) ends the worker; the master replaces it', async () => {
  const pid = await servingPid();
  const mark = corral.output.length;
  assert.equal((await get(corral.url, '/uncaught')).status, 200);
  await corral.waitFor(/uncaught from a timer in \/uncaught/, 3000, mark);
  await corral.waitFor(new RegExp(`Worker \\(pid:${pid}\\) exited with code \\d+`), 5000, mark);
  const [, next] = await corral.waitFor(/Booting worker with pid: (\d+)/, 5000, mark);
  const now = await waitUntil(() => servingPid().catch(() => null), 5000, 'the replacement answers');
  assert.equal(now, next);
  assert.notEqual(now, pid);
});
