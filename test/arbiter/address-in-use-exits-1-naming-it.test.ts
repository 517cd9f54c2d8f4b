// A bind address that is already taken makes the master exit 1 before any worker starts, naming the address.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Corral, runCorral, startCorral } from '../helpers/corral.ts';
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

  test('the same address given twice is an error naming it', async () => {
    const port = await freePort();
    const result = await runCorral([ROUTES_APP, '-b', `127.0.0.1:${port}`, '-b', `127.0.0.1:${port}`], { timeoutMs: 5000 });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, new RegExp(`cannot bind http://127\\.0\\.0\\.1:${port}: given twice`));
    assert.doesNotMatch(result.output, /Booting worker/);
  });

  test('overlapping addresses ([::] also takes IPv4) are an error naming the second, not a crash loop', async () => {
    const port = await freePort();
    const result = await runCorral([ROUTES_APP, '-b', `[::]:${port}`, '-b', `0.0.0.0:${port}`], { timeoutMs: 5000 });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, new RegExp(`cannot bind http://0\\.0\\.0\\.0:${port}: it overlaps another --bind address`));
    assert.doesNotMatch(result.output, /Booting worker/);
  });
});

test('-b fd://N serves on a listening socket inherited from the parent (as systemd passes them)', async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  let corral: Corral | undefined;
  try {
    corral = new Corral([ROUTES_APP, '-b', 'fd://3'], { extraFds: [fd] });
    // The socket is corral's now: this process stops accepting on its own copy.
    server.close();
    await corral.waitFor(/\[INFO\] Ready: /, 20_000);
    assert.match(corral.output, /Listening at: fd:\/\/3/);
    const reply = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(reply.status, 200);
    assert.ok(corral.workerPids.includes(Number(await reply.text())), 'a corral worker answered');
  } finally {
    server.close();
    await corral?.stop();
  }
});

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('-b fd://N for a descriptor corral was not given exits 1 saying it is not an open socket', async () => {
  const result = await runCorral([ROUTES_APP, '-b', 'fd://99'], { timeoutMs: 10_000 });
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /cannot bind fd:\/\/99: file descriptor 99 is not an open socket corral can listen on/);
  assert.doesNotMatch(result.output, /Booting worker/);
});
