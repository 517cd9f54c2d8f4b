// -k sync: a client that keeps its end open after a `Connection: close` response does not hold the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, portOf } from '../arbiter/support.ts';

test('-k sync -w 1: the next client is served while the last one still holds its closed connection open', async () => {
  let corral: Corral | undefined;
  const conns: RawConnection[] = [];
  try {
    corral = await startCorral([ROUTES_APP, '-k', 'sync', '-w', '1']);
    const port = portOf(corral.url);
    const lingering = await RawConnection.open(port);
    conns.push(lingering);
    const first = await lingering.request('/');
    assert.equal(first.status, 200);
    assert.equal(first.headers.connection, 'close');
    // The client neither reads on nor closes: its socket stays open on the worker's side.
    const next = await RawConnection.open(port);
    conns.push(next);
    const reply = await next.request('/', 2000);
    assert.equal(reply.status, 200, 'served without waiting for the first client to close');
  } finally {
    for (const c of conns) c.destroy();
    await corral?.stop();
  }
});
