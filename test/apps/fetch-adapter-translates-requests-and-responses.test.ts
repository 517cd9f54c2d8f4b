// The Fetch adapter turns node:http requests into Requests and Responses back into node:http responses, faithfully.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { appFixture, get, request } from './support.ts';

let corral: Corral;
let port: number;

before(async () => {
  corral = await startCorral([appFixture('fetch-inspector.ts'), '-w', '1']);
  port = Number(new URL(corral.url).port);
});
after(async () => {
  await corral?.stop();
});

/** Sends raw bytes on a fresh connection and resolves with everything the server sends back until it closes. */
async function raw(text: string, timeoutMs = 10_000): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs} ms`)));
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
  socket.end(text);
  await once(socket, 'close');
  return reply;
}

test('the Request URL is absolute, built from the Host header', async () => {
  const res = await request(`${corral.url}/inspect?a=1&b=two`, { headers: { host: 'example.test:8080' } });
  assert.equal(JSON.parse(res.body).url, 'http://example.test:8080/inspect?a=1&b=two');
});

test('an invalid Host header falls back to the address the request came in on', async () => {
  const res = await request(`${corral.url}/inspect`, { headers: { host: 'not a host' } });
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).url, `http://127.0.0.1:${port}/inspect`);
});

test('an HTTP/1.0 request without Host gets the local address in its URL', async () => {
  const reply = await raw('GET /inspect HTTP/1.0\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
  assert.equal(body.url, `http://127.0.0.1:${port}/inspect`);
  assert.equal(body.host, null);
});

test('repeated request headers all reach the handler', async () => {
  const res = await request(`${corral.url}/inspect`, { headers: { 'x-multi': ['first', 'second'] } });
  assert.equal(JSON.parse(res.body).multi, 'first, second');
});

test('GET has no body; POST carries its body and method', async () => {
  const plain = JSON.parse((await request(`${corral.url}/inspect`)).body);
  assert.deepEqual([plain.method, plain.hasBody, plain.body], ['GET', false, null]);
  const posted = JSON.parse((await request(`${corral.url}/inspect`, { method: 'POST' }, 'name=corral&x=ü')).body);
  assert.deepEqual([posted.method, posted.hasBody, posted.body], ['POST', true, 'name=corral&x=ü']);
  const deleted = JSON.parse((await request(`${corral.url}/inspect`, { method: 'DELETE' })).body);
  assert.deepEqual([deleted.method, deleted.hasBody], ['DELETE', false]);
});

test('a chunked upload streams into request.body', async () => {
  const req = http.request(`${corral.url}/count`, { method: 'PUT', agent: false });
  req.setTimeout(10_000, () => req.destroy(new Error('no response within 10 s')));
  const response = once(req, 'response') as Promise<[http.IncomingMessage]>;
  for (let i = 0; i < 10; i++) req.write(Buffer.alloc(100_000, i));
  req.end();
  const [res] = await response;
  let text = '';
  for await (const chunk of res) text += chunk;
  assert.equal(res.headers['transfer-encoding'] ?? null, null, 'a JSON body goes out with a Content-Length');
  assert.equal(JSON.parse(text).bytes, 1_000_000);
});

test('status, status text and headers come back as the Response set them', async () => {
  const res = await request(`${corral.url}/status`);
  assert.equal(res.status, 418);
  assert.equal(res.statusMessage, 'I Am A Teapot');
  assert.equal(res.headers['x-tea'], 'earl grey');
  assert.equal(res.headers['content-length'], '15');
  assert.equal(res.body, 'short and stout');
});

test('HEAD gets the headers and no body', async () => {
  const res = await request(`${corral.url}/status`, { method: 'HEAD' });
  assert.equal(res.status, 418);
  assert.equal(res.headers['x-tea'], 'earl grey');
  assert.equal(res.body, '');
});

test('a null body answers with no content', async () => {
  const res = await request(`${corral.url}/empty`);
  assert.equal(res.status, 204);
  assert.equal(res.body, '');
});

test('a large streamed body arrives complete', async () => {
  const res = await get(`${corral.url}/big?mb=8`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  assert.equal((await res.arrayBuffer()).byteLength, 8 * 1024 * 1024);
});

test('a slow client holds back the body stream, and leaving cancels it', async () => {
  const from = corral.output.length;
  const req = http.get(`${corral.url}/big?mb=256`, { agent: false });
  req.on('error', () => undefined); // destroyed on purpose below
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  res.pause(); // read nothing: the socket fills and the server must stop pulling
  let pulled = -1;
  // Poll until the amount pulled stops growing, at most 50 times.
  for (let previous = -2, polls = 0; pulled !== previous && polls < 50; polls++) {
    previous = pulled;
    await new Promise((resolve) => setTimeout(resolve, 100));
    pulled = Number(await (await get(`${corral.url}/pulled`)).text());
  }
  assert.ok(pulled < 64 * 1024 * 1024, `the server pulled ${pulled} bytes for a client that read none`);
  req.destroy();
  await corral.waitFor(/\[fetch-inspector\] big stream cancelled after \d+ bytes/, 10_000, from);
});

for (const [label, query] of [['request', ''], ['a clone of the request', '?clone']]) {
  test(`the signal of ${label} aborts when the client disconnects before the response`, async () => {
    const from = corral.output.length;
    const req = http.get(`${corral.url}/wait${query}`, { agent: false });
    req.on('error', () => undefined); // destroyed on purpose below
    await corral.waitFor(/\[fetch-inspector\] waiting for the client to go away/, 10_000, from);
    req.destroy();
    await corral.waitFor(/\[fetch-inspector\] request signal aborted: AbortError/, 10_000, from);
  });
}
