// Every supported app shape serves the same route table through real corral workers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { appFixture, get, request } from './support.ts';

/** The route table is served the same way by the default class and from app threads. */
const CLASSES = [
  { name: 'corral', args: ['-w', '1'], ready: '' },
  { name: '-k thread --threads 2', args: ['-k', 'thread', '--threads', '2', '-w', '1'], ready: ' in 2 threads per worker' },
] as const;

const APPS = [
  { file: 'express.ts', framework: 'express', ready: 'Express app (export `app` of test/fixtures/apps/express.ts)' },
  { file: 'koa.ts', framework: 'koa', ready: 'Koa app (default export of test/fixtures/apps/koa.ts)' },
  { file: 'fastify.ts', framework: 'fastify', ready: 'Fastify app (default export of test/fixtures/apps/fastify.ts)' },
  { file: 'hono.ts', framework: 'hono', ready: 'Hono app (default export of test/fixtures/apps/hono.ts)' },
  { file: 'node-listener.ts', framework: 'node', ready: 'Node request listener (default export of test/fixtures/apps/node-listener.ts)' },
  { file: 'fetch-handler.mjs', framework: 'fetch', ready: 'Fetch handler (default export of test/fixtures/apps/fetch-handler.mjs)' },
] as const;

for (const cls of CLASSES) for (const app of APPS) {
  describe(`${app.file} served by ${cls.name}`, () => {
    let corral: Corral;
    before(async () => {
      corral = await startCorral([appFixture(app.file), ...cls.args], { timeoutMs: 40_000 });
    });
    after(async () => {
      await corral?.stop();
    });

    test('the ready line names the app kind and where it came from', () => {
      assert.ok(corral.output.includes(`serving ${app.ready}${cls.ready}`), corral.output);
    });

    test('GET /hello answers the text with a Content-Length', async () => {
      const res = await get(`${corral.url}/hello`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello world!');
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/i);
      assert.equal(res.headers.get('content-length'), '12');
      assert.equal(res.headers.get('x-framework'), app.framework, 'middleware or hooks ran');
    });

    test('HEAD /hello answers without a body, with the length GET would have where the app sets it', async () => {
      const res = await request(`${corral.url}/hello`, { method: 'HEAD' });
      // Express, Fastify and Hono answer HEAD for GET routes; the Koa, node and Fetch fixtures route GET only.
      const answersHead = ['express', 'fastify', 'hono'].includes(app.framework);
      assert.equal(res.status, answersHead ? 200 : 404);
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

    test('GET /stream arrives chunked, piece by piece', async () => {
      const res = await get(`${corral.url}/stream`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      assert.equal(res.headers.get('content-length'), null);
      const decoder = new TextDecoder();
      const arrivals: number[] = [];
      let text = '';
      for await (const chunk of res.body!) {
        arrivals.push(performance.now());
        text += decoder.decode(chunk, { stream: true });
      }
      assert.equal(text, 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
      // Chunked encoding (checked above) is what shows the body was streamed, not buffered; when the
      // reads happen is up to the scheduler on a busy machine, so no timing is asserted here.
      assert.ok(arrivals.length >= 1);
    });

    test('GET /throw answers 500 and the worker keeps serving', async () => {
      const res = await get(`${corral.url}/throw`);
      assert.equal(res.status, 500);
      await res.arrayBuffer();
      const again = await get(`${corral.url}/hello`);
      assert.equal(await again.text(), 'hello world!');
      assert.equal(corral.workerPids.length, 1, 'no worker was replaced');
    });
  });
}
