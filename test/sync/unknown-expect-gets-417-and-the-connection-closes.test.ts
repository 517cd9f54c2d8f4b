// An Expect other than 100-continue is answered 417, and the connection then follows the same rules
// as any response: closed by a sync worker (which would otherwise be pinned) and under --keep-alive 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, portOf } from '../arbiter/support.ts';

for (const args of [['-k', 'sync'], ['-k', 'async', '--keep-alive', '0']]) {
  test(`${args.join(' ')}: Expect: something-else gets 417 and the server closes the connection`, async () => {
    let corral: Corral | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', ...args]);
      const socket = net.connect(portOf(corral.url), '127.0.0.1');
      socket.setTimeout(5000, () => socket.destroy(new Error('the server did not close the connection within 5 s')));
      let reply = '';
      socket.on('data', (c: Buffer) => (reply += c.toString('latin1')));
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 0\r\n\r\n');
      await once(socket, 'close');
      assert.match(reply, /^HTTP\/1\.1 417 Expectation Failed\r\n/);
      assert.match(reply, /\r\nConnection: close\r\n/i);
      // The worker is free for the next client.
      assert.equal((await fetch(corral.url)).status, 200);
    } finally {
      await corral?.stop();
    }
  });
}
