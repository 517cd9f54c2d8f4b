// An app that cannot be loaded stops corral with exit code 4 and a message saying what and where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, runCorral } from '../helpers/corral.ts';
import { appFixture } from './support.ts';

const CASES = [
  {
    name: 'a missing file names the resolved absolute path',
    spec: appFixture('no-such-app.ts'),
    expect: [`App module not found: ${path.join(ROOT, 'test/fixtures/apps/no-such-app.ts')}`],
  },
  {
    name: 'a module with nothing servable lists its exports and their types',
    spec: appFixture('not-servable.ts'),
    expect: [
      'Nothing to serve in test/fixtures/apps/not-servable.ts',
      'It exports: Service (class), default (object), helper (function, 0 args), port (number).',
      'an object with a fetch(request) method',
    ],
  },
  {
    name: 'a factory given arguments says corral calls it with none',
    spec: `${appFixture('factory.ts')}:createApp(1, 2)`,
    expect: ['passes arguments to createApp(): corral calls a factory with none. Write test/fixtures/apps/factory.ts:createApp()'],
  },
  {
    name: 'a missing named export lists what the module does export',
    spec: `${appFixture('factory.ts')}:missing`,
    expect: [
      'test/fixtures/apps/factory.ts has no export named `missing`.',
      'It exports: createApp (function, 0 args), notAFactory (function, 0 args), settings (object).',
    ],
  },
  {
    name: 'a factory spec naming something other than a function says so',
    spec: `${appFixture('factory.ts')}:settings()`,
    expect: ['export `settings` is an object, not a function'],
  },
  {
    name: 'a TypeScript syntax error names the file, line and column',
    spec: appFixture('syntax-error.ts'),
    expect: ['App module test/fixtures/apps/syntax-error.ts has a syntax error at test/fixtures/apps/syntax-error.ts:6:21'],
  },
  {
    name: 'a JavaScript module syntax error names the file and line',
    spec: appFixture('syntax-error.mjs'),
    expect: [
      "App module test/fixtures/apps/syntax-error.mjs has a syntax error at test/fixtures/apps/syntax-error.mjs:5: SyntaxError: Unexpected token ')'",
    ],
  },
  {
    name: 'an exception at import time names the file and line and keeps the original stack',
    spec: appFixture('throws-at-import.ts'),
    expect: [
      'App module test/fixtures/apps/throws-at-import.ts threw while loading at test/fixtures/apps/throws-at-import.ts:8:9: Error: DATABASE_URL is not set',
      `Caused by: Error: DATABASE_URL is not set\n    at <anonymous> (${path.join(ROOT, 'test/fixtures/apps/throws-at-import.ts')}:8:9)`,
    ],
  },
  {
    name: 'a factory that rejects names the factory and shows its stack',
    spec: `${appFixture('factory-throws.ts')}:createApp()`,
    expect: [
      'App factory createApp() in test/fixtures/apps/factory-throws.ts threw at test/fixtures/apps/factory-throws.ts:8:9: Error: no database configured (databaseUrl=undefined)',
      `at createApp (${path.join(ROOT, 'test/fixtures/apps/factory-throws.ts')}:8:9)`,
    ],
  },
];

for (const c of CASES) {
  test(`${c.name}: the master exits 4`, async () => {
    const result = await runCorral([c.spec, '-w', '2', '-b', '127.0.0.1:0']);
    assert.equal(result.code, 4, result.output);
    for (const text of c.expect) assert.ok(result.output.includes(text), `expected ${JSON.stringify(text)} in:\n${result.output}`);
    assert.doesNotMatch(result.output, /\[INFO\] Ready: /);
  });
}

test('--check-config exits 1 with the same message when the app cannot be loaded', async () => {
  const result = await runCorral([appFixture('throws-at-import.ts'), '--check-config']);
  assert.equal(result.code, 1, result.output);
  assert.ok(result.output.includes('throws-at-import.ts:8:9: Error: DATABASE_URL is not set'), result.output);
});

test('--check-config exits 0 and names the app when it loads', async () => {
  const result = await runCorral([appFixture('hono.ts'), '--check-config']);
  assert.equal(result.code, 0, result.output);
  assert.ok(result.output.includes('Hono app (default export of test/fixtures/apps/hono.ts)'), result.output);
});
