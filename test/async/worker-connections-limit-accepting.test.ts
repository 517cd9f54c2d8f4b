// At --worker-connections a worker with every connection busy stops accepting (extra connections
// wait in the backlog, not reset); an idle keep-alive connection makes room for a new one instead.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, portOf } from '../arbiter/support.ts';

/** Sends a slow request on each connection, waits until the app has them all in hand, and returns the pids of the workers handling them. */
async function makeBusy(corral: Corral, conns: RawConnection[], ms: number): Promise<string[]> {
  const from = corral.output.length;
  for (const c of conns) c.write(`GET /sleep?ms=${ms} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  const sleeping = () => [...corral.output.slice(from).matchAll(/\[fixture\] (\d+) sleeping/g)].map((m) => m[1]!);
  const deadline = Date.now() + 5000;
  while (sleeping().length < conns.length) {
    assert.ok(Date.now() < deadline, `the slow requests did not all start:\n${corral.output}`);
    await sleep(20);
  }
  return sleeping();
}

/** Runs `body` against `corral ROUTES_APP -w W --worker-connections 2`; closes its connections and corral after. */
async function withServer(workers: number, body: (corral: Corral, port: number, conns: RawConnection[]) => Promise<void>): Promise<void> {
  let corral: Corral | undefined;
  const conns: RawConnection[] = [];
  try {
    corral = await startCorral([ROUTES_APP, '-w', String(workers), '--worker-connections', '2', '--keep-alive', '60']);
    await body(corral, portOf(corral.url), conns);
  } finally {
    for (const c of conns) c.destroy();
    await corral?.stop();
  }
}

describe('--worker-connections', { concurrency: true }, () => {
  test('-w 1 --worker-connections 2: with both connections busy, a third waits until one of them closes', () =>
    withServer(1, async (corral, port, conns) => {
      for (let i = 0; i < 2; i++) conns.push(await RawConnection.open(port));
      await makeBusy(corral, conns, 8000);
      const third = await RawConnection.open(port); // the kernel completes it; the worker does not take it
      conns.push(third);
      third.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await assert.rejects(third.readResponse(1500), /timed out/, 'the third connection is not served while two are busy');
      assert.equal(third.isClosed, false, 'it waits: not reset, not closed');

      conns[0]!.destroy();
      const reply = await third.readResponse(5000);
      assert.equal(reply.status, 200, 'served once a slot is free');
      assert.equal(reply.body, String(corral.workerPids[0]));
      assert.equal(conns[1]!.isClosed, false, 'the other busy connection is untouched');
    }));

  test('-w 1 --worker-connections 2: a new connection takes the place of the longest-idle keep-alive one', () =>
    withServer(1, async (corral, port, conns) => {
      for (let i = 0; i < 2; i++) {
        const conn = await RawConnection.open(port);
        conns.push(conn);
        assert.equal((await conn.request('/')).status, 200, `connection ${i + 1} is served`);
        await sleep(100); // so that the first connection is the longest idle
      }
      // Idle connections younger than a second are left alone (their clients may be about to reuse them).
      await sleep(1200);
      const third = await RawConnection.open(port);
      conns.push(third);
      const reply = await third.request('/', 5000);
      assert.equal(reply.status, 200, 'the new connection is served at once');
      await Promise.race([conns[0]!.closed, sleep(5000).then(() => assert.fail('the longest-idle connection was not closed'))]);
      assert.equal(conns[1]!.isClosed, false, 'the other idle connection stays open');
      assert.equal((await conns[1]!.request('/')).status, 200, 'and still serves');
      assert.equal((await third.request('/')).status, 200, 'the new connection is kept alive');
    }));

  test('-w 1 --worker-connections 2: a worker full of busy connections accepts again once one goes idle', () =>
    withServer(1, async (corral, port, conns) => {
      for (let i = 0; i < 2; i++) conns.push(await RawConnection.open(port));
      await makeBusy(corral, conns, 1500);
      const third = await RawConnection.open(port);
      conns.push(third);
      third.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await assert.rejects(third.readResponse(700), /timed out/, 'not served while both connections are busy');
      const reply = await third.readResponse(5000);
      assert.equal(reply.status, 200, 'served after the slow requests end, though their connections stay open');
      const replies = await Promise.all([conns[0]!.readResponse(100), conns[1]!.readResponse(100)]);
      assert.deepEqual(replies.map((r) => r.status), [200, 200], 'the slow requests were answered');
      await Promise.race([Promise.race([conns[0]!.closed, conns[1]!.closed]),
        sleep(5000).then(() => assert.fail('no idle connection was closed to make room'))]);
      assert.equal(conns.filter((c) => c.isClosed).length, 1, 'one idle connection made room; the other is open');
    }));

  test('-w 2 --worker-connections 2: four connections are all served; a fifth waits while all four are busy', () =>
    withServer(2, async (corral, port, conns) => {
      // Busy at once: an idle keep-alive connection (idle for a second or more) could be reclaimed for
      // a new one, so on a slow machine a worker might take a third; a busy one never is.
      for (let i = 0; i < 4; i++) conns.push(await RawConnection.open(port));
      // The first on its own, to know whose it is (the log does not say which connection a line is for).
      const servedBy = [...await makeBusy(corral, conns.slice(0, 1), 8000), ...await makeBusy(corral, conns.slice(1), 8000)];
      const perWorker = servedBy.reduce((m, pid) => m.set(pid, (m.get(pid) ?? 0) + 1), new Map<string, number>());
      assert.deepEqual([...perWorker.values()], [2, 2], `two connections per worker: ${servedBy.join(', ')}`);

      const fifth = await RawConnection.open(port);
      conns.push(fifth);
      fifth.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await assert.rejects(fifth.readResponse(1500), /timed out/, 'a fifth waits while both workers are full and busy');
      assert.equal(fifth.isClosed, false);
      conns[0]!.destroy();
      const reply = await fifth.readResponse(5000);
      assert.equal(reply.status, 200, 'served once a slot is free');
      assert.equal(reply.body, servedBy[0], 'by the worker whose connection closed (the other is still full)');
    }));
});
