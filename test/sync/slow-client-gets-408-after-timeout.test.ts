// -k sync: a client slow to send its request (silent, or trickling its headers) holds the worker at
// most --timeout seconds, then gets a 408; the worker lives and serves the client waiting behind it.
// A client that keeps its side of the connection open after such an answer does not hold the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, portOf, within } from '../arbiter/support.ts';

for (const [what, send] of [
  ['connects and sends nothing', null],
  ['sends its headers a line every 400 ms, never finishing', 'X-Trickle: 1\r\n'],
] as const) {
  test(`-k sync -w 1 -t 3: a client that ${what} gets 408 after about 3 s, and the next client is served`, async () => {
    let corral: Corral | undefined;
    const conns: RawConnection[] = [];
    let trickle: NodeJS.Timeout | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-k', 'sync', '-w', '1', '-t', '3']);
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
      const served = waiting.request('/', 12_000);
      const answer = await slow.readResponse(9000);
      const after = Date.now() - started;
      assert.equal(answer.status, 408);
      assert.equal(answer.headers.connection, 'close');
      assert.ok(after >= 2900, `not before --timeout (after ${after} ms)`);
      await within(slow.closed, 3000, 'the slow connection is closed');
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

/** A client that keeps its sending side open after the server's FIN (allowHalfOpen), recording what it got. */
function halfOpenClient(port: number, send: string): { socket: net.Socket; received: () => string; serverDone: Promise<void> } {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
  socket.on('error', () => undefined);
  if (send) socket.write(send);
  // 'end': the server has sent its FIN; it has closed its side (and, fixed, released the connection).
  const serverDone = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  return { socket, received: () => got, serverDone };
}

for (const [what, send, status] of [
  ['sends nothing, gets 408,', '', 408],
  ['sends CONNECT, gets 501,', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501],
] as const) {
  test(`-k sync -w 1 -t 3: a client that ${what} and keeps its side open does not hold the worker`, async () => {
    let corral: Corral | undefined;
    let client: ReturnType<typeof halfOpenClient> | undefined;
    let next: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-k', 'sync', '-w', '1', '-t', '3']);
      const port = portOf(corral.url);
      client = halfOpenClient(port, send);
      await within(client.serverDone, 9000, `the server answers and closes its side`);
      assert.match(client.received(), new RegExp(`^HTTP/1\\.1 ${status} `));
      // The client never closes; the worker must take the next connection all the same.
      next = await RawConnection.open(port);
      const reply = await next.request('/', 5000);
      assert.equal(reply.status, 200, 'the next client is served while the first keeps its side open');
    } finally {
      client?.socket.destroy();
      next?.destroy();
      await corral?.stop();
    }
  });
}
