// An app that cannot load in its threads stops corral with exit code 4 and the app's error, as with the other classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, runCorral } from '../helpers/corral.ts';
import { appFixture } from '../apps/support.ts';

test('an exception at import time in the threads: exit 4, file and line, and the original stack', async () => {
  const { code, output } = await runCorral([appFixture('throws-at-import.ts'), '-k', 'thread', '--threads', '2', '-w', '1', '-b', '127.0.0.1:0'], {
    timeoutMs: 40_000,
  });
  assert.equal(code, 4, output);
  assert.match(output, /Exception in worker process while loading the app:\nApp module test\/fixtures\/apps\/throws-at-import\.ts threw while loading at test\/fixtures\/apps\/throws-at-import\.ts:8:9: Error: DATABASE_URL is not set/);
  assert.ok(output.includes(`Caused by: Error: DATABASE_URL is not set\n    at <anonymous> (${path.join(ROOT, 'test/fixtures/apps/throws-at-import.ts')}:8:9)`), output);
  assert.match(output, /App failed to load/);
});

test('a TypeScript syntax error in the threads: exit 4 naming file, line and column', async () => {
  const { code, output } = await runCorral([appFixture('syntax-error.ts'), '--threads', '2', '-w', '1', '-b', '127.0.0.1:0'], { timeoutMs: 40_000 });
  assert.equal(code, 4, output);
  assert.match(output, /has a syntax error at test\/fixtures\/apps\/syntax-error\.ts:6:21/);
});
