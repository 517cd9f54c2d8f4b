// A master killed with SIGKILL cannot clean up, yet its workers must not outlive it holding the port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, isAlive, portOf, waitUntil } from './support.ts';
import { THREAD_APP } from '../thread/support.ts';

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

test('SIGKILL on the master: a worker whose event loop is blocked is gone within 2 s too', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '1']);
    const [worker] = corral.workerPids;
    // The worker cannot notice its master's death itself (its loop is stuck): its watchdog thread does.
    void get(corral.url, '/block', { timeoutMs: 10_000 }).catch(() => undefined);
    await corral.waitFor(/\[fixture\] \d+ blocking the event loop/, 5000);
    corral.signal('SIGKILL');
    await corral.waitExit(2000);
    await waitUntil(() => !isAlive(worker!), 2000, `the blocked worker ${worker} exits with its master`);
  } finally {
    await corral?.stop();
  }
});

test('SIGKILL on a thread-class master: its workers remove the peer sockets and their directory as they go', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-test-tmp-'));
  const peerDirs = () => fs.readdirSync(tmp).filter((name) => name.startsWith('corral-peers-'));
  let corral: Corral | undefined;
  try {
    corral = await startCorral([THREAD_APP, '-k', 'thread', '-w', '2', '--threads', '1'], { env: { TMPDIR: tmp }, timeoutMs: 30_000 });
    const workers = corral.workerPids;
    assert.equal(peerDirs().length, 1, 'the master made its peer directory under TMPDIR');
    const dir = path.join(tmp, peerDirs()[0]!);
    assert.deepEqual(fs.readdirSync(dir).sort(), workers.map((pid) => `${pid}.sock`).sort());
    corral.signal('SIGKILL');
    await corral.waitExit(2000);
    await waitUntil(() => workers.every((pid) => !isAlive(pid)), 2000, () => `workers exit with their master (alive: ${workers.filter(isAlive).join(', ')})`);
    assert.deepEqual(peerDirs(), [], 'nothing of the peer directory is left behind');
  } finally {
    await corral?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
