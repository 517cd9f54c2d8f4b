// Express, Koa, Fastify and Hono apps serve the shared route table unchanged from app threads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { appFixture, get, request } from '../apps/support.ts';

const APPS = [
  { file: 'express.ts', framework: 'express', ready: 'Express app (export `app` of test/fixtures/apps/express.ts) in 2 threads per worker' },
  { file: 'koa.ts', framework: 'koa', ready: 'Koa app (default export of test/fixtures/apps/koa.ts) in 2 threads per worker' },
  { file: 'fastify.ts', framework: 'fastify', ready: 'Fastify app (default export of test/fixtures/apps/fastify.ts) in 2 threads per worker' },
  { file: 'hono.ts', framework: 'hono', ready: 'Hono app (default export of test/fixtures/apps/hono.ts) in 2 threads per worker' },
] as const;

for (const app of APPS) {
  describe(`${app.file} served by -k thread --threads 2`, () => {
    let corral: Corral;
    before(async () => {
      corral = await startCorral([appFixture(app.file), '-k', 'thread', '--threads', '2', '-w', '1'], { timeoutMs: 40_000 });
    });
    after(async () => {
      await corral?.stop();
    });

    test('the ready line names the app and its threads', () => {
      assert.ok(corral.output.includes(`serving ${app.ready}`), corral.output);
      assert.match(corral.output, /Using worker: thread/);
    });

    test('GET /hello answers the text with a Content-Length', async () => {
      const res = await get(`${corral.url}/hello`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello world!');
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/i);
      assert.equal(res.headers.get('content-length'), '12');
      assert.equal(res.headers.get('x-framework'), app.framework, 'middleware or hooks ran');
    });

    test('HEAD /hello answers without a body, with the length GET would have where the framework sets it', async () => {
      const res = await request(`${corral.url}/hello`, { method: 'HEAD' });
      assert.ok(res.status === 200 || (app.framework === 'koa' && res.status === 404), `status ${res.status}`); // Koa routes GET only
      assert.equal(res.body, '');
      if (app.framework === 'express' || app.framework === 'fastify') assert.equal(res.headers['content-length'], '12');
    });

    test('GET /users/:id returns the path parameter and query as JSON', async () => {
      const res = await get(`${corral.url}/users/7?x=42`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await res.json(), { id: '7', x: '42' });
    });

    test('POST /echo echoes a JSON body', async () => {
      const payload = { name: 'corral', list: [1, 2, 3], nested: { ok: true }, text: 'é ✓' };
      const res = await get(`${corral.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), payload);
    });

    test('GET /cookie sets two cookies and a custom header', async () => {
      const res = await get(`${corral.url}/cookie`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
      assert.equal(res.headers.get('x-corral-test'), '1');
      assert.equal(await res.text(), 'cookies set');
    });

    test('GET /stream arrives chunked, whole and in order', async () => {
      const res = await get(`${corral.url}/stream`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      assert.equal(res.headers.get('content-length'), null);
      // That chunks are relayed as they are written, not buffered to the end, is shown without
      // timing in large-bodies-stream-both-ways (timing here would be flaky on a loaded machine).
      assert.equal(await res.text(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
    });

    test('GET /throw answers 500, logs the stack, and the threads keep serving', async () => {
      const res = await get(`${corral.url}/throw`);
      assert.equal(res.status, 500);
      await res.arrayBuffer();
      for (let i = 0; i < 4; i++) assert.equal(await (await get(`${corral.url}/hello`)).text(), 'hello world!');
      assert.equal(corral.workerPids.length, 1, 'no worker was replaced');
      assert.doesNotMatch(corral.output, /app thread \d+ (crashed|exited)/);
    });
  });
}
