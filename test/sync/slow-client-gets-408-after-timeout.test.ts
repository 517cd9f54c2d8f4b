// -k sync: a client slow to send its request (silent, or trickling its headers) holds the worker at
// most --timeout seconds, then gets a 408; the worker lives and serves the client waiting behind it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, portOf, within } from '../arbiter/support.ts';

for (const [what, send] of [
  ['connects and sends nothing', null],
  ['sends its headers a line every 400 ms, never finishing', 'X-Trickle: 1\r\n'],
] as const) {
  test(`-k sync -w 1 -t 2: a client that ${what} gets 408 after about 2 s, and the next client is served`, async () => {
    let corral: Corral | undefined;
    const conns: RawConnection[] = [];
    let trickle: NodeJS.Timeout | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-k', 'sync', '-w', '1', '-t', '2']);
      const [pid] = corral.workerPids;
      const port = portOf(corral.url);
      const slow = await RawConnection.open(port);
      conns.push(slow);
      const started = Date.now();
      if (send !== null) {
        slow.write('GET / HTTP/1.1\r\nHost: localhost\r\n');
        trickle = setInterval(() => slow.write(send), 400);
      }
      const waiting = await RawConnection.open(port);
      conns.push(waiting);
      const served = waiting.request('/', 8000);
      const answer = await slow.readResponse(6000);
      const after = Date.now() - started;
      assert.equal(answer.status, 408);
      assert.equal(answer.headers.connection, 'close');
      assert.ok(after >= 1900, `not before --timeout (after ${after} ms)`);
      await within(slow.closed, 2000, 'the slow connection is closed');
      const reply = await served;
      assert.equal(reply.status, 200, 'the client queued behind it is served');
      assert.equal(reply.body, String(pid), 'by the same worker: it lived');
    } finally {
      clearInterval(trickle);
      for (const c of conns) c.destroy();
      await corral?.stop();
    }
  });
}
