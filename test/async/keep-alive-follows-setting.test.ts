// The async worker keeps idle connections open for --keep-alive seconds; 0 closes after each response.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, portOf, within } from '../arbiter/support.ts';

describe('keep-alive', { concurrency: true }, () => {
  test('--keep-alive 1: an idle connection is closed by the server after about 1 s', async () => {
    let corral: Corral | undefined;
    let conn: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '--keep-alive', '1']);
      conn = await RawConnection.open(portOf(corral.url));
      const reply = await conn.request('/');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.connection, 'keep-alive');
      assert.match(String(reply.headers['keep-alive']), /timeout=1\b/);
      const idleSince = Date.now();
      await within(conn.closed, 3000, 'the idle connection is closed within 3 s');
      const idleFor = Date.now() - idleSince;
      assert.ok(idleFor >= 1000, `not closed before the advertised 1 s (closed after ${idleFor} ms)`);
      assert.equal(conn.error, null, 'closed cleanly, not reset');
    } finally {
      conn?.destroy();
      await corral?.stop();
    }
  });

  test('--keep-alive 1: a response slower than that is not cut, nor a next request arriving slowly', async () => {
    let corral: Corral | undefined;
    let conn: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '--keep-alive', '1']);
      conn = await RawConnection.open(portOf(corral.url));
      const slow = await conn.request('/sleep?ms=2600');
      assert.equal(slow.status, 200, 'a 2.6 s response on a --keep-alive 1 connection completes');
      assert.equal(slow.headers.connection, 'keep-alive');
      // The next request's header lines, 1.5 s apart: the connection is receiving, not idle.
      for (const part of ['GET / HTTP/1.1\r\n', 'Host: localhost\r\n']) {
        conn.write(part);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      assert.equal(conn.isClosed, false, 'open while the next request arrives');
      conn.write('\r\n');
      const next = await conn.readResponse();
      assert.equal(next.status, 200);
      assert.equal(next.body, String(corral.workerPids[0]));
    } finally {
      conn?.destroy();
      await corral?.stop();
    }
  });

  test('--keep-alive 0: every response says Connection: close and the server closes the connection', async () => {
    let corral: Corral | undefined;
    let conn: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '--keep-alive', '0']);
      conn = await RawConnection.open(portOf(corral.url));
      const reply = await conn.request('/');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.connection, 'close');
      await within(conn.closed, 2000, 'the server closes the connection after the response');
    } finally {
      conn?.destroy();
      await corral?.stop();
    }
  });

  test('by default one connection serves several requests', async () => {
    let corral: Corral | undefined;
    let conn: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP]);
      conn = await RawConnection.open(portOf(corral.url));
      for (let i = 0; i < 3; i++) {
        const reply = await conn.request('/');
        assert.equal(reply.status, 200, `request ${i + 1}`);
        assert.equal(reply.headers.connection, 'keep-alive', `request ${i + 1}`);
        assert.equal(reply.body, String(corral.workerPids[0]));
      }
      assert.equal(conn.isClosed, false, 'still open after three requests');
    } finally {
      conn?.destroy();
      await corral?.stop();
    }
  });
});
