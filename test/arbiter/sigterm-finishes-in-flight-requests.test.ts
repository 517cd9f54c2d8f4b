// SIGTERM is a graceful stop: requests in flight finish, idle connections close, no new connection is taken.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, isAlive, portOf, tryConnect, waitUntil, within } from './support.ts';

/** Sends GET /sleep?ms=`ms` on `conn` and resolves once the worker has started on it. */
async function startSlowRequest(corral: Corral, conn: RawConnection, ms: number): Promise<void> {
  const mark = corral.output.length;
  conn.write(`GET /sleep?ms=${ms} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  await corral.waitFor(new RegExp(`\\[fixture\\] \\d+ sleeping ${ms} ms`), 5000, mark);
}

describe('SIGTERM', { concurrency: true }, () => {
  test('a request in flight at SIGTERM completes with 200 and Connection: close; the master exits 0', async () => {
    let corral: Corral | undefined;
    let slow: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1']);
      const [worker] = corral.workerPids;
      slow = await RawConnection.open(portOf(corral.url));
      await startSlowRequest(corral, slow, 1000);
      corral.signal('SIGTERM');

      const reply = await slow.readResponse(5000);
      assert.equal(reply.status, 200);
      assert.equal(reply.body, String(worker));
      assert.equal(reply.headers.connection, 'close');
      await within(slow.closed, 2000, 'the server closes the connection after the last response');
      assert.equal((await corral.waitExit(5000)).code, 0, corral.output);
      assert.match(corral.output, /Handling signal: term/);
      assert.equal(isAlive(worker!), false);
    } finally {
      slow?.destroy();
      await corral?.stop();
    }
  });

  test('idle keep-alive connections are closed by the server at SIGTERM, while a slow request still runs', async () => {
    let corral: Corral | undefined;
    const conns: RawConnection[] = [];
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', '--keep-alive', '30']);
      const port = portOf(corral.url);
      const idle = await RawConnection.open(port);
      const slow = await RawConnection.open(port);
      conns.push(idle, slow);
      assert.equal((await idle.request('/')).headers.connection, 'keep-alive');
      await startSlowRequest(corral, slow, 1000);
      corral.signal('SIGTERM');

      const slowReply = slow.readResponse(5000);
      slowReply.catch(() => undefined); // awaited below; a failure before that must not go unhandled
      const first = await within(
        Promise.race([idle.closed.then(() => 'the idle connection closed'), slowReply.then(() => 'the slow request was answered')]),
        5000,
        'the idle connection closes or the slow request is answered',
      );
      assert.equal(first, 'the idle connection closed', 'idle connections are closed at once, not when the worker exits');
      assert.equal(idle.error, null, 'closed cleanly, not reset');
      assert.equal((await slowReply).status, 200);
    } finally {
      for (const c of conns) c.destroy();
      await corral?.stop();
    }
  });

  test('once a graceful stop has begun, new connections are refused', async () => {
    let corral: Corral | undefined;
    let slow: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1']);
      const port = portOf(corral.url);
      slow = await RawConnection.open(port);
      await startSlowRequest(corral, slow, 3000);
      const mark = corral.output.length;
      corral.signal('SIGTERM');
      await corral.waitFor(/Handling signal: term/, 5000, mark);

      // While the slow request keeps the worker (and the master) alive, nobody should take new connections:
      // a connection the kernel completes now waits in a backlog nobody accepts from any more.
      let accepted = 0;
      await waitUntil(async () => {
        const state = await tryConnect(port);
        if (state === 'connected') accepted++;
        return state === 'refused';
      }, 1500, () => `connections to port ${port} are refused after SIGTERM (${accepted} were still completed by the kernel)`, 50);
      assert.equal(slow.isClosed, false, 'checked while the stop was still in progress');

      assert.equal((await slow.readResponse(5000)).status, 200);
      assert.equal((await corral.waitExit(5000)).code, 0);
    } finally {
      slow?.destroy();
      await corral?.stop();
    }
  });

  test('--graceful-timeout 1: a request that takes 10 s is cut off and the master exits within ~3 s', async () => {
    let corral: Corral | undefined;
    let slow: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', '--graceful-timeout', '1']);
      const [worker] = corral.workerPids;
      slow = await RawConnection.open(portOf(corral.url));
      await startSlowRequest(corral, slow, 10_000);
      const mark = corral.output.length;
      const { tookMs } = await corral.signalAndWaitExit('SIGTERM', 3500);
      assert.ok(tookMs >= 900, `the worker had its graceful timeout first (exited after ${tookMs} ms)`);
      assert.match(corral.output.slice(mark), new RegExp(`Worker \\(pid:${worker}\\) was sent SIGKILL after --graceful-timeout 1 s`));
      await waitUntil(() => !isAlive(worker!), 2000, `worker ${worker} is gone`);
      await within(slow.closed, 2000, 'the cut-off connection closes');
      assert.equal(slow.hasUnreadBytes, false, 'no response was sent for the cut-off request');
    } finally {
      slow?.destroy();
      await corral?.stop();
    }
  });
});
