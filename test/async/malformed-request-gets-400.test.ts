// Bad bytes on the wire get a 400 from the async worker, and the worker keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, get, portOf, within } from '../arbiter/support.ts';

test('the raw bytes GARBAGE and a blank line get a 400 and the same worker serves the next request', async () => {
  let corral: Corral | undefined;
  let conn: RawConnection | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '1']);
    const [worker] = corral.workerPids;
    conn = await RawConnection.open(portOf(corral.url));
    conn.write('GARBAGE\r\n\r\n');
    const reply = await conn.readResponse(3000);
    assert.equal(reply.status, 400);
    assert.equal(reply.headers.connection, 'close');
    await within(conn.closed, 2000, 'the server closes the bad connection');

    const next = await get(corral.url, '/');
    assert.equal(next.status, 200);
    assert.equal(next.body, String(worker), 'the same worker serves');
    assert.equal(corral.workerPids.length, 1, 'no worker was replaced');
  } finally {
    conn?.destroy();
    await corral?.stop();
  }
});

test('request lines of other HTTP versions (HTTP/2.0 in plain text, HTTP/0.9) get 505 and the close; the app never sees them', async () => {
  let corral: Corral | undefined;
  const conns: RawConnection[] = [];
  try {
    corral = await startCorral([ROUTES_APP, '-w', '1']);
    const [worker] = corral.workerPids;
    for (const line of ['GET / HTTP/2.0\r\nHost: localhost\r\n\r\n', 'GET /\r\n\r\n']) {
      const conn = await RawConnection.open(portOf(corral.url));
      conns.push(conn);
      conn.write(line);
      const reply = await conn.readResponse(3000);
      assert.equal(reply.status, 505, JSON.stringify(line));
      assert.match(reply.body, /HTTP Version Not Supported/);
      assert.equal(reply.headers.connection, 'close');
      await within(conn.closed, 2000, 'the server closes the connection');
    }
    const next = await get(corral.url, '/');
    assert.equal(next.body, String(worker), 'the same worker serves');
  } finally {
    for (const c of conns) c.destroy();
    await corral?.stop();
  }
});

test('CONNECT, which node:http never hands an app, gets 501 and the close, and the worker serves on', async () => {
  let corral: Corral | undefined;
  let conn: RawConnection | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '1']);
    const [worker] = corral.workerPids;
    conn = await RawConnection.open(portOf(corral.url));
    conn.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const reply = await conn.readResponse(3000);
    assert.equal(reply.status, 501);
    await within(conn.closed, 2000, 'the server closes the connection');
    const next = await get(corral.url, '/');
    assert.equal(next.body, String(worker), 'the same worker serves');
  } finally {
    conn?.destroy();
    await corral?.stop();
  }
});

test('bytes that are not HTTP arriving in many pieces behind a slow response: the response, then one 400, nothing piling up', async () => {
  let corral: Corral | undefined;
  let conn: RawConnection | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '1']);
    conn = await RawConnection.open(portOf(corral.url));
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
  } finally {
    conn?.destroy();
    await corral?.stop();
  }
});
