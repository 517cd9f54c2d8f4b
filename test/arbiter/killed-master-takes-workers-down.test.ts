// A master killed with SIGKILL cannot clean up, yet its workers must not outlive it holding the port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, isAlive, portOf, waitUntil } from './support.ts';

/** Null if a plain server could listen on the port (it is closed again at once), else the error. */
async function tryListen(port: number): Promise<Error | null> {
  const server = net.createServer();
  server.listen(port, '127.0.0.1');
  const [err] = (await Promise.race([once(server, 'listening').then(() => [null]), once(server, 'error')])) as [Error | null];
  server.close();
  return err;
}

test('SIGKILL on the master: every worker is gone within 2 s and the port is free again', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '3']);
    const port = portOf(corral.url);
    const workers = corral.workerPids;
    assert.equal(workers.length, 3);
    corral.signal('SIGKILL');
    await corral.waitExit(2000);
    await waitUntil(() => workers.every((pid) => !isAlive(pid)), 2000,
      () => `workers exit with their master (alive: ${workers.filter(isAlive).join(', ')})`);

    // The kernel releases a dead process's sockets a moment after it exits: poll, with a deadline.
    let last: Error | null = null;
    await waitUntil(async () => (last = await tryListen(port)) === null, 2000, () => `port ${port} is free again (${last?.message})`);
  } finally {
    await corral?.stop();
  }
});
