// Every APP_MODULE form loads: named exports, factories, CommonJS, http.Server, paths relative to the cwd, and TypeScript beyond type stripping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, startCorral } from '../helpers/corral.ts';
import { appFixture, get } from './support.ts';

/** Starts corral with one worker on `spec`, checks the ready line, and returns the body of GET `urlPath`. */
async function serve(spec: string, ready: string, urlPath = '/', cwd?: string): Promise<string> {
  const corral = await startCorral([spec, '-w', '1'], cwd === undefined ? {} : { cwd });
  try {
    assert.ok(corral.output.includes(`serving ${ready}`), corral.output);
    const res = await get(`${corral.url}${urlPath}`);
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    await corral.stop();
  }
}

test('path:factory() calls the async factory once, with no arguments, and serves what it resolves to', async () => {
  const body = await serve(
    `${appFixture('factory.ts')}:createApp()`,
    'Node request listener (result of `createApp()` in test/fixtures/apps/factory.ts)',
  );
  assert.equal(body, 'made by createApp(); calls=1; args=0');
});

test('a CommonJS module without a servable default serves its exports.app', async () => {
  const body = await serve(
    appFixture('commonjs-exports-app.cjs'),
    'Node request listener (export `app` of test/fixtures/apps/commonjs-exports-app.cjs)',
    '/some/path?q=1',
  );
  assert.equal(body, 'commonjs exports.app: GET /some/path?q=1');
});

test('a CommonJS module that is itself the listener (module.exports = fn) is served', async () => {
  const body = await serve(
    appFixture('commonjs-module-exports.cjs'),
    'Node request listener (default export of test/fixtures/apps/commonjs-module-exports.cjs)',
  );
  assert.equal(body, 'commonjs module.exports on node:http string');
});

test('an http.Server export is served through its request listener, by default or by name', async () => {
  const expected = 'http.Server listener: GET /x';
  assert.equal(await serve(appFixture('http-server.mjs'), 'http.Server (default export of test/fixtures/apps/http-server.mjs)', '/x'), expected);
  assert.equal(
    await serve(`${appFixture('http-server.mjs')}:server`, 'http.Server (export `server` of test/fixtures/apps/http-server.mjs)', '/x'),
    expected,
  );
});

test('an https.Server export is served the same way (TLS is the job of whatever is in front of corral)', async () => {
  assert.equal(
    await serve(appFixture('https-server.mjs'), 'https.Server (default export of test/fixtures/apps/https-server.mjs)', '/y'),
    'https.Server listener: GET /y',
  );
});

test('the app path is relative to the working directory', async () => {
  const body = await serve('fetch-handler.mjs', 'Fetch handler (default export of fetch-handler.mjs)', '/hello', path.join(FIXTURES, 'apps'));
  assert.equal(body, 'hello world!');
});

const TS_FEATURES = { color: 'Green', colorValue: 1, greeting: 'HELLO CORRAL' };

test('TypeScript with an enum, a legacy decorator and a tsconfig paths alias loads (CommonJS package scope)', async () => {
  const body = await serve(appFixture('ts-features/app.ts'), 'Fetch app (default export of test/fixtures/apps/ts-features/app.ts)');
  assert.deepEqual(JSON.parse(body), TS_FEATURES);
});

test('the same TypeScript loads as an ES module, from another working directory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-ts-esm-'));
  try {
    fs.cpSync(path.join(FIXTURES, 'apps', 'ts-features'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const body = await serve('app.ts', 'Fetch app (default export of app.ts)', '/?name=esm', dir);
    assert.deepEqual(JSON.parse(body), { ...TS_FEATURES, greeting: 'HELLO ESM' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
