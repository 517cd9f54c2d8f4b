// -k sync: a busy worker stops accepting without giving up its listening sockets (TCP and unix), so the idle worker takes every new connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, tempDir, within } from '../arbiter/support.ts';

test('-k sync -w 2: while one worker is busy the other serves every new connection, on TCP and on a unix socket, pausing in place', async () => {
  const tmp = tempDir();
  const sock = path.join(tmp.dir, 'corral.sock');
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-k', 'sync', '-w', '2', '--log-level', 'debug', '-b', '127.0.0.1:0', '-b', `unix:${sock}`]);
    const base = corral.url;
    const slow = get(base, '/sleep?ms=2500', { timeoutMs: 8000 });
    const [, busyPid] = await corral.waitFor(/\[fixture\] (\d+) sleeping 2500 ms/, 5000);
    // Every request below opens a new connection; each must be taken by the idle worker at once.
    const served = new Set<string>();
    await within((async () => {
      for (let i = 0; i < 20; i++) {
        const tcp = await get(base, '/', { timeoutMs: 1500 });
        const unix = await get(base, '/', { socketPath: sock, timeoutMs: 1500 });
        assert.equal(tcp.status, 200);
        assert.equal(unix.status, 200);
        served.add(tcp.body).add(unix.body);
      }
    })(), 2400, '40 requests while one worker sleeps');
    assert.equal(served.size, 1, `one worker served them all (${[...served].join(', ')})`);
    assert.ok(!served.has(busyPid!), 'not the busy worker');
    const slowReply = await slow;
    assert.equal(slowReply.body, busyPid, 'the slow request finished on its worker');
    // The workers paused their own copies of the listening sockets (no close, no new copy from the master).
    assert.doesNotMatch(corral.output, /cannot pause in place/);
  } finally {
    await corral?.stop();
    tmp.cleanup();
  }
});
