// A bind address that is already taken makes the master exit 1 before any worker starts, naming the address.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { runCorral, startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, portOf } from './support.ts';

describe('an address in use', { concurrency: true }, () => {
  test('a second corral on the port of a running one exits 1 naming the address', async () => {
    let first: Corral | undefined;
    try {
      first = await startCorral([ROUTES_APP]);
      const port = portOf(first.url);
      const second = await runCorral([ROUTES_APP, '-b', `127.0.0.1:${port}`], { timeoutMs: 5000 });
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, new RegExp(`127\\.0\\.0\\.1:${port}\\b.*address already in use`));
      assert.doesNotMatch(second.output, /Booting worker/, 'no worker starts when a bind fails');
      assert.equal((await fetch(first.url)).status, 200, 'the first corral still serves');
    } finally {
      await first?.stop();
    }
  });

  test('a port held by a plain net server makes corral exit 1 naming the address', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as net.AddressInfo;
      const result = await runCorral([ROUTES_APP, '-b', `127.0.0.1:${port}`], { timeoutMs: 5000 });
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, new RegExp(`cannot bind .*127\\.0\\.0\\.1:${port}\\b.*address already in use`));
      assert.doesNotMatch(result.output, /Booting worker/);
    } finally {
      server.close();
    }
  });
});
