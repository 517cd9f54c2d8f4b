// A handler that throws, rejects or returns a non-Response gets a 500 with the stack logged at the TypeScript line, and the worker lives on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startCorral, type Corral } from '../helpers/corral.ts';
import { appFixture, get } from './support.ts';

const SOURCE = path.join(ROOT, 'test/fixtures/apps/handler-throws.ts');

let corral: Corral;

before(async () => {
  corral = await startCorral([appFixture('handler-throws.ts'), '-w', '1']);
});
after(async () => {
  await corral?.stop();
});

async function expect500(urlPath: string, logged: RegExp): Promise<void> {
  const from = corral.output.length;
  const res = await get(`${corral.url}${urlPath}`);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'Internal Server Error\n');
  await corral.waitFor(logged, 5_000, from);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a synchronous throw answers 500 and logs the stack at the .ts file and line', async () => {
  await expect500('/sync', new RegExp(`Error: handler failed \\(sync\\)\\n\\s+at fail \\(${escape(SOURCE)}:8:9\\)`));
});

test('a rejected promise answers 500 and logs the stack at the .ts file and line', async () => {
  await expect500('/async', new RegExp(`Error: handler failed \\(async\\)\\n\\s+at fail \\(${escape(SOURCE)}:8:9\\)`));
});

test('returning something other than a Response answers 500 and says what was returned', async () => {
  await expect500('/not-a-response', /The Fetch handler returned string instead of a Response/);
});

test('the same worker keeps serving after every failure', async () => {
  const res = await get(`${corral.url}/`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'still alive');
  assert.equal(corral.workerPids.length, 1, corral.output);
});
