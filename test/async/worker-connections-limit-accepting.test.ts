// At --worker-connections a worker stops accepting: extra connections wait in the backlog, not reset.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, portOf } from '../arbiter/support.ts';

describe('--worker-connections', { concurrency: true }, () => {
  test('-w 1 --worker-connections 2: a third connection waits until one of the first two closes', async () => {
    let corral: Corral | undefined;
    const conns: RawConnection[] = [];
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', '--worker-connections', '2', '--keep-alive', '60']);
      const port = portOf(corral.url);
      for (let i = 0; i < 2; i++) {
        const conn = await RawConnection.open(port);
        conns.push(conn);
        assert.equal((await conn.request('/')).status, 200, `connection ${i + 1} is served`);
      }
      const third = await RawConnection.open(port); // the kernel completes it; the worker does not take it
      conns.push(third);
      third.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await assert.rejects(third.readResponse(700), /timed out/, 'the third connection is not served while two are open');
      assert.equal(third.isClosed, false, 'it waits: not reset, not closed');

      conns[0]!.destroy();
      const reply = await third.readResponse(5000);
      assert.equal(reply.status, 200, 'served once a slot is free');
      assert.equal(reply.body, String(corral.workerPids[0]));
      assert.equal((await conns[1]!.request('/')).status, 200, 'the other open connection still works');
    } finally {
      for (const c of conns) c.destroy();
      await corral?.stop();
    }
  });

  test('-w 2 --worker-connections 2: four connections are all served', async () => {
    let corral: Corral | undefined;
    const conns: RawConnection[] = [];
    try {
      corral = await startCorral([ROUTES_APP, '-w', '2', '--worker-connections', '2', '--keep-alive', '60']);
      const port = portOf(corral.url);
      const servedBy: string[] = [];
      for (let i = 0; i < 4; i++) {
        const conn = await RawConnection.open(port);
        conns.push(conn);
        const reply = await conn.request('/', 5000);
        assert.equal(reply.status, 200, `connection ${i + 1} is served`);
        servedBy.push(reply.body);
      }
      const perWorker = servedBy.reduce((m, pid) => m.set(pid, (m.get(pid) ?? 0) + 1), new Map<string, number>());
      assert.deepEqual([...perWorker.values()], [2, 2], `two connections per worker: ${servedBy.join(', ')}`);

      const fifth = await RawConnection.open(port);
      conns.push(fifth);
      fifth.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await assert.rejects(fifth.readResponse(700), /timed out/, 'a fifth waits while both workers are full');
      assert.equal(fifth.isClosed, false);
      conns[0]!.destroy();
      const reply = await fifth.readResponse(5000);
      assert.equal(reply.status, 200, 'served once a slot is free');
      assert.equal(reply.body, servedBy[0], 'by the worker whose connection closed (the other is still full)');
    } finally {
      for (const c of conns) c.destroy();
      await corral?.stop();
    }
  });
});
