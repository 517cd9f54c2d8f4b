// A Fetch app's connection stays usable and its framing sound: an unread request body is discarded,
// a proxied response's connection headers and decoded encoding are not passed on, and bad bytes
// arriving while a response streams cut the connection instead of landing in the body.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { appFixture } from './support.ts';

let corral: Corral;
let port: number;

before(async () => {
  corral = await startCorral([appFixture('fetch-inspector.ts'), '-w', '1']);
  port = Number(new URL(corral.url).port);
});
after(async () => {
  await corral?.stop();
});

/** One request on `agent`, with a deadline; resolves with status, headers, body and the socket used. */
function send(agent: http.Agent, method: string, path: string, body?: Buffer, headers: http.OutgoingHttpHeaders = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: net.Socket }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socket: req.socket! }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

for (const [what, path] of [['never reads', '/nope'], ['reads only part of', '/half']] as const) {
  test(`a handler that ${what} a 1 MB body: the next request on the connection is answered`, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, 'POST', path, Buffer.alloc(1024 * 1024, 97));
      assert.ok(first.status === 404 || first.status === 200, String(first.status));
      const second = await send(agent, 'GET', '/inspect');
      assert.equal(second.status, 200);
      assert.equal(JSON.parse(second.body).method, 'GET');
      assert.equal(second.socket, first.socket, 'the same connection carried both');
    } finally {
      agent.destroy();
    }
  });
}

test('a proxied response: no hop-by-hop headers passed on, a body fetch decompressed is sent without its old encoding', async () => {
  const text = 'hello from upstream '.repeat(60);
  const upstream = http.createServer((req, res) => {
    res.writeHead(200, {
      'content-encoding': 'gzip',
      'content-type': 'text/plain',
      'keep-alive': 'timeout=5',
      connection: 'keep-alive',
      'x-upstream': 'yes',
    });
    res.end(zlib.gzipSync(text));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const agent = new http.Agent({ keepAlive: false });
  try {
    const target = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}/`;
    const reply = await send(agent, 'GET', `/proxy?url=${encodeURIComponent(target)}`, undefined, { connection: 'close' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, text);
    assert.equal(reply.headers['x-upstream'], 'yes');
    assert.equal(reply.headers['content-encoding'], undefined);
    assert.equal(reply.headers['keep-alive'], undefined);
    assert.equal(reply.headers.connection, 'close', 'the client asked to close, and the server says it will');
  } finally {
    agent.destroy();
    upstream.close();
  }
});

test('bytes that are not HTTP, arriving while a response streams: the response ends whole, then a 400 and the close, never a 400 inside the body', async () => {
  const socket = net.connect(port, '127.0.0.1');
  socket.setTimeout(10_000, () => socket.destroy(new Error('the connection was not closed within 10 s')));
  let received = '';
  let garbageSent = false;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    if (!garbageSent) {
      garbageSent = true;
      socket.write('GARBAGE\r\n\r\n');
    }
  });
  socket.write('GET /big?mb=8 HTTP/1.1\r\nHost: x\r\n\r\n');
  await once(socket, 'close');
  assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
  const end = received.indexOf('\r\n0\r\n\r\n');
  assert.ok(end > 8 * 1024 * 1024, `the streamed response ended whole (its last chunk at ${end})`);
  const after = received.slice(end + '\r\n0\r\n\r\n'.length);
  assert.match(after, /^HTTP\/1\.1 400 Bad Request\r\n/, 'then the 400');
  assert.equal(received.slice(20, end).includes('HTTP/1.1 400'), false, 'no 400 inside the body');
});

test('TRACE, which a Fetch Request cannot carry, is answered 501 without an error in the log', async () => {
  const mark = corral.output.length;
  const agent = new http.Agent({ keepAlive: false });
  try {
    const reply = await send(agent, 'TRACE', '/inspect');
    assert.equal(reply.status, 501);
    assert.equal((await send(agent, 'GET', '/inspect')).status, 200, 'the worker serves on');
    assert.doesNotMatch(corral.output.slice(mark), /\[ERROR\]/);
  } finally {
    agent.destroy();
  }
});
