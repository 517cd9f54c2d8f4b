// Idle keep-alive connections stay open for --keep-alive seconds (the worker's sweep closes them after); 0 closes after each response.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withConnection, within } from '../arbiter/support.ts';

describe('keep-alive', { concurrency: true }, () => {
  test('--keep-alive 1: an idle connection is closed by the server after about 1 s', () =>
    withConnection(['--keep-alive', '1'], async (corral, conn) => {
      const reply = await conn.request('/');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.connection, 'keep-alive');
      assert.match(String(reply.headers['keep-alive']), /timeout=1\b/);
      const idleSince = Date.now();
      await within(conn.closed, 5000, 'the idle connection is closed within 5 s');
      const idleFor = Date.now() - idleSince;
      assert.ok(idleFor >= 1000, `not closed before the advertised 1 s (closed after ${idleFor} ms)`);
      assert.equal(conn.error, null, 'closed cleanly, not reset');
    }));

  // --keep-alive 2: the server closes a connection idle for 2 s + 1 s + a 200 ms sweep period.
  test('--keep-alive 2: a response slower than that is not cut, nor a next request arriving slowly', () =>
    withConnection(['--keep-alive', '2'], async (corral, conn) => {
      const slow = await conn.request('/sleep?ms=4000', 8000);
      assert.equal(slow.status, 200, 'a 4 s response on a --keep-alive 2 connection completes');
      assert.equal(slow.headers.connection, 'keep-alive');
      // The next request's header lines, 1.5 s apart (4.5 s in all): the connection is receiving, not idle.
      for (const part of ['GET / HTTP/1.1\r\n', 'Host: localhost\r\n', 'X-Slow: 1\r\n']) {
        conn.write(part);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      assert.equal(conn.isClosed, false, 'open while the next request arrives');
      conn.write('\r\n');
      const next = await conn.readResponse();
      assert.equal(next.status, 200);
      assert.equal(next.body, String(corral.workerPids[0]));
    }));

  test('--keep-alive 1: a response that blocked the event loop longer than that leaves the connection open after it', () =>
    withConnection(['--keep-alive', '1', '--blocked-warning', '0'], async (corral, conn) => {
      // Seen answering by a sweep during the wait, then no sweep for the 3 s block: the first sweep
      // after it must not take the connection for one idle since before the block.
      const blocked = await conn.request('/wait-then-block?ms=400&s=3', 10_000);
      assert.equal(blocked.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(conn.isClosed, false, 'not closed right after the response');
      const next = await conn.request('/');
      assert.equal(next.status, 200);
    }));

  test('SIGTERM with a keep-alive connection whose next request stalled half-sent: closed after --keep-alive, not --graceful-timeout', () =>
    withConnection(['--keep-alive', '1', '--graceful-timeout', '30'], async (corral, conn) => {
      assert.equal((await conn.request('/')).status, 200);
      await conn.writeAndWaitRead('GET / HTTP/1.1\r\n'); // and nothing more; the worker's parser has it
      const { code, tookMs } = await corral.signalAndWaitExit('SIGTERM', 15_000);
      assert.equal(code, 0, corral.output);
      assert.ok(tookMs < 10_000, `stopped in ${tookMs} ms`);
      assert.doesNotMatch(corral.output, /SIGKILL/, 'no worker had to be killed');
    }));

  test('--keep-alive 0: every response says Connection: close and the server closes the connection', () =>
    withConnection(['--keep-alive', '0'], async (corral, conn) => {
      const reply = await conn.request('/');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.connection, 'close');
      await within(conn.closed, 2000, 'the server closes the connection after the response');
    }));

  test('by default one connection serves several requests', () =>
    withConnection([], async (corral, conn) => {
      for (let i = 0; i < 3; i++) {
        const reply = await conn.request('/');
        assert.equal(reply.status, 200, `request ${i + 1}`);
        assert.equal(reply.headers.connection, 'keep-alive', `request ${i + 1}`);
        assert.equal(reply.body, String(corral.workerPids[0]));
      }
      assert.equal(conn.isClosed, false, 'still open after three requests');
    }));
});
