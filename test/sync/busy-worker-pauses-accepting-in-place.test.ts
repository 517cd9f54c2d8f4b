// -k sync: a busy worker stops accepting without giving up its listening sockets (TCP and unix), so the idle worker takes every new connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, tempDir, within } from '../arbiter/support.ts';

test('-k sync -w 2: while one worker is busy the other serves every new connection, on TCP and on a unix socket, pausing in place', async () => {
  const tmp = tempDir();
  const sock = path.join(tmp.dir, 'corral.sock');
  let corral: Corral | undefined;
  // The busy worker's request: long enough to outlast the requests below however slow the machine,
  // and cancelled at the end (the route stops when its client leaves).
  const cancel = new AbortController();
  try {
    corral = await startCorral([ROUTES_APP, '-k', 'sync', '-w', '2', '--log-level', 'debug', '-b', '127.0.0.1:0', '-b', `unix:${sock}`]);
    const base = new URL(corral.url);
    let slowAnswered = false;
    const slow = http.get({ host: base.hostname, port: base.port, path: '/sleep?ms=60000', signal: cancel.signal, agent: false }, (res) => {
      slowAnswered = true;
      res.resume();
    });
    slow.on('error', () => undefined);
    const [, busyPid] = await corral.waitFor(/\[fixture\] (\d+) sleeping 60000 ms/, 10_000);
    // Every request below opens a new connection; the idle worker must take each one.
    const served = new Set<string>();
    await within((async () => {
      for (let i = 0; i < 20; i++) {
        const tcp = await get(corral!.url, '/', { timeoutMs: 10_000 });
        const unix = await get(corral!.url, '/', { socketPath: sock, timeoutMs: 10_000 });
        assert.equal(tcp.status, 200);
        assert.equal(unix.status, 200);
        served.add(tcp.body).add(unix.body);
      }
    })(), 40_000, '40 requests while one worker sleeps');
    assert.equal(slowAnswered, false, 'the busy worker was still busy throughout');
    assert.equal(served.size, 1, `one worker served them all (${[...served].join(', ')})`);
    assert.ok(!served.has(busyPid!), 'not the busy worker');
    // The workers paused their own copies of the listening sockets (no close, no new copy from the master).
    assert.doesNotMatch(corral.output, /cannot pause in place/);
  } finally {
    cancel.abort();
    await corral?.stop();
    tmp.cleanup();
  }
});
