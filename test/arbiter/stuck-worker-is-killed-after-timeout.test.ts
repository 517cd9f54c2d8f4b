// A worker whose event loop is blocked misses its heartbeats, is killed after --timeout, and is replaced.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, get, isAlive, portOf, waitUntil, within } from './support.ts';

describe('a stuck worker', { concurrency: true }, () => {
  test('--timeout 1: a worker stuck in while(true) is logged as WORKER TIMEOUT, killed and replaced', async () => {
    let corral: Corral | undefined;
    let stuck: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', '--timeout', '1']);
      // Ask the connection which worker it is on: a slow boot under load may already have replaced the first one.
      stuck = await RawConnection.open(portOf(corral.url));
      const victim = Number((await stuck.request('/')).body);
      const mark = corral.output.length;
      stuck.write('GET /block HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await corral.waitFor(new RegExp(`\\[fixture\\] ${victim} blocking`), 5000, mark);
      const blockedAt = Date.now();

      await corral.waitFor(new RegExp(`\\[CRITICAL\\] WORKER TIMEOUT \\(pid: ${victim}\\)`), 5000, mark);
      // Seeing the log line lags the block itself, so the bound is loose; the point is "not at once".
      assert.ok(Date.now() - blockedAt >= 500, 'not killed before the timeout');
      await corral.waitFor(/Booting worker with pid: \d+/, 5000, mark);
      await waitUntil(() => !isAlive(victim), 3000, `the stuck worker ${victim} is gone`);
      await within(stuck.closed, 3000, 'the stuck connection closes with its worker');

      const reply = await waitUntil(() => get(corral!.url, '/').catch(() => null), 10_000, 'a fresh connection is answered');
      assert.equal(reply.status, 200);
      const booted = [...corral.output.slice(mark).matchAll(/Booting worker with pid: (\d+)/g)].map((m) => m[1]);
      assert.ok(booted.includes(reply.body), `a replacement booted after the timeout answers (${reply.body}; booted ${booted.join(', ')})`);
    } finally {
      stuck?.destroy();
      await corral?.stop();
    }
  });

  // DESIGN.md (Liveness) promises the JavaScript stack of the blocked code and the request(s) in flight.
  test('the timeout log says why: the blocked code\'s stack and the request in flight', async () => {
    let corral: Corral | undefined;
    let stuck: RawConnection | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', '--timeout', '1']);
      const mark = corral.output.length;
      stuck = await RawConnection.open(portOf(corral.url));
      stuck.write('GET /block HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await corral.waitFor(/WORKER TIMEOUT/, 8000, mark);
      await corral.waitFor(/Booting worker with pid: \d+/, 5000, mark);
      const log = corral.output.slice(mark);
      assert.match(log, /routes\.mjs:\d+/, `the stack of the blocked code is logged:\n${log}`);
      assert.match(log, /GET \/block/, `the request in flight is logged:\n${log}`);
    } finally {
      stuck?.destroy();
      await corral?.stop();
    }
  });
});
