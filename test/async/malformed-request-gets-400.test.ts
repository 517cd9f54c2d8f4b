// Bad bytes on the wire get their answer (400, 505, 501) and the close from the worker, which keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, withConnection, within } from '../arbiter/support.ts';

// Each gets its answer and the close; the worker lives and serves the next request.
const ONE_ANSWER: ReadonlyArray<readonly [string, string, number]> = [
  ['the raw bytes GARBAGE and a blank line', 'GARBAGE\r\n\r\n', 400],
  ['a request line of HTTP/2.0 in plain text, which the app never sees,', 'GET / HTTP/2.0\r\nHost: localhost\r\n\r\n', 505],
  ['an HTTP/0.9 request line', 'GET /\r\n\r\n', 505],
  ['CONNECT, which node:http never hands an app,', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501],
];

for (const [what, bytes, status] of ONE_ANSWER) {
  test(`${what} gets ${status} and the close, and the same worker serves the next request`, () =>
    withConnection(['-w', '1'], async (corral, conn) => {
      const [worker] = corral.workerPids;
      conn.write(bytes);
      const reply = await conn.readResponse(3000);
      assert.equal(reply.status, status);
      assert.equal(reply.headers.connection, 'close');
      if (status === 505) assert.match(reply.body, /HTTP Version Not Supported/);
      await within(conn.closed, 2000, 'the server closes the connection');

      const next = await get(corral.url, '/');
      assert.equal(next.status, 200);
      assert.equal(next.body, String(worker), 'the same worker serves');
      assert.equal(corral.workerPids.length, 1, 'no worker was replaced');
    }));
}

test('bytes that are not HTTP arriving in many pieces behind a slow response: the response, then one 400, nothing piling up', () =>
  withConnection(['-w', '1'], async (corral, conn) => {
    conn.write('GET /sleep?ms=800 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await corral.waitFor(/\[fixture\] \d+ sleeping 800 ms/, 5000);
    // Node's parser, once failed, reports every later chunk again.
    for (let i = 0; i < 15; i++) {
      conn.write(`NOT HTTP ${i}\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const first = await conn.readResponse(5000);
    assert.equal(first.status, 200, 'the response in progress completes');
    const second = await conn.readResponse(5000);
    assert.equal(second.status, 400);
    await within(conn.closed, 3000, 'then the server closes the connection');
    assert.equal(conn.hasUnreadBytes, false, 'one 400, no more');
    assert.doesNotMatch(corral.output, /MaxListenersExceededWarning/);
  }));
