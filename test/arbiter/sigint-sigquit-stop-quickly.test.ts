// SIGINT and SIGQUIT are a quick stop: the master and its workers exit now, even with requests in flight.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, get, isAlive, portOf, waitUntil, within } from './support.ts';

/** Starts corral with a 10 s request in flight on the returned connection. */
async function withSlowRequest(args: string[]): Promise<{ corral: Corral; slow: RawConnection }> {
  const corral = await startCorral([ROUTES_APP, '-w', '1', ...args]);
  const slow = await RawConnection.open(portOf(corral.url)).catch(async (err: unknown) => {
    await corral.stop();
    throw err;
  });
  slow.write('GET /sleep?ms=10000 HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await corral.waitFor(/\[fixture\] \d+ sleeping 10000 ms/, 5000);
  return { corral, slow };
}

describe('quick stop', { concurrency: true }, () => {
  for (const sig of ['SIGINT', 'SIGQUIT'] as const) {
    test(`${sig} stops the master promptly with a 10 s request in flight`, async () => {
      let corral: Corral | undefined;
      let slow: RawConnection | undefined;
      try {
        ({ corral, slow } = await withSlowRequest([]));
        const [worker] = corral.workerPids;
        corral.signal(sig);
        const { code } = await corral.waitExit(3000);
        assert.equal(code, 0, corral.output);
        assert.match(corral.output, new RegExp(`Handling signal: ${sig.slice(3).toLowerCase()}`));
        await waitUntil(() => !isAlive(worker!), 2000, `worker ${worker} is gone`);
        await within(slow.closed, 2000, 'the in-flight connection is closed');
      } finally {
        slow?.destroy();
        await corral?.stop();
      }
    });
  }

  test('SIGINT with a worker whose event loop is blocked: the master kills it instead of waiting --graceful-timeout', async () => {
    let corral: Corral | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1', '--graceful-timeout', '30']);
      const [worker] = corral.workerPids;
      void get(corral.url, '/block', { timeoutMs: 10_000 }).catch(() => undefined);
      await corral.waitFor(/\[fixture\] \d+ blocking the event loop/, 5000);
      corral.signal('SIGINT');
      const { code } = await corral.waitExit(5000);
      assert.equal(code, 0, corral.output);
      assert.match(corral.output, new RegExp(`Worker \\(pid:${worker}\\) was sent SIGKILL 1 s after a quick stop`));
    } finally {
      await corral?.stop();
    }
  });

  test('SIGINT during a graceful stop never extends its deadline', async () => {
    let corral: Corral | undefined;
    try {
      // The graceful deadline (1 s after TERM) comes before the quick one (1 s after the later INT).
      corral = await startCorral([ROUTES_APP, '-w', '1', '--graceful-timeout', '1']);
      void get(corral.url, '/block', { timeoutMs: 10_000 }).catch(() => undefined);
      await corral.waitFor(/\[fixture\] \d+ blocking the event loop/, 5000);
      corral.signal('SIGTERM');
      await corral.waitFor(/Handling signal: term/, 5000);
      corral.signal('SIGINT');
      const { code } = await corral.waitExit(5000);
      assert.equal(code, 0, corral.output);
      assert.match(corral.output, /was sent SIGKILL after --graceful-timeout 1 s/);
      assert.doesNotMatch(corral.output, /after a quick stop/);
    } finally {
      await corral?.stop();
    }
  });

  test('SIGINT during a graceful stop turns it into a quick stop', async () => {
    let corral: Corral | undefined;
    let slow: RawConnection | undefined;
    try {
      // A long graceful timeout, so only the quick stop can explain a prompt exit.
      ({ corral, slow } = await withSlowRequest(['--graceful-timeout', '30']));
      const mark = corral.output.length;
      corral.signal('SIGTERM');
      await corral.waitFor(/Handling signal: term/, 5000, mark);
      assert.equal(slow.isClosed, false, 'the graceful stop waits for the request');
      corral.signal('SIGINT');
      await corral.waitExit(2000);
      assert.match(corral.output.slice(mark), /Handling signal: int/);
    } finally {
      slow?.destroy();
      await corral?.stop();
    }
  });
});
