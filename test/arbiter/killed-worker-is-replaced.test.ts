// A worker that dies (killed, or exiting on its own) is logged with its signal or code and replaced.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, isAlive, waitUntil } from './support.ts';

describe('a dead worker', { concurrency: true }, () => {
  test('a worker killed with SIGKILL is logged as such and replaced; the server keeps answering', async () => {
    let corral: Corral | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1']);
      const [victim] = corral.workerPids;
      assert.equal((await get(corral.url, '/')).body, String(victim));
      const mark = corral.output.length;
      process.kill(victim!, 'SIGKILL');

      await corral.waitFor(new RegExp(`Worker \\(pid:${victim}\\) was sent SIGKILL`), 5000, mark);
      const [, next] = await corral.waitFor(/Booting worker with pid: (\d+)/, 5000, mark);
      assert.notEqual(Number(next), victim);
      await waitUntil(async () => (await get(corral!.url, '/').catch(() => null))?.body === next, 5000, `the new worker ${next} answers`);
      assert.equal(isAlive(victim!), false);
      assert.equal(corral.workerPids.length, 2, 'exactly one replacement');
    } finally {
      await corral?.stop();
    }
  });

  test('a worker that exits on its own is logged with its exit code and replaced', async () => {
    let corral: Corral | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-w', '1']);
      const [first] = corral.workerPids;
      const mark = corral.output.length;
      assert.equal((await get(corral.url, '/exit?code=7')).body, String(first));

      await corral.waitFor(new RegExp(`Worker \\(pid:${first}\\) exited with code 7`), 5000, mark);
      const [, next] = await corral.waitFor(/Booting worker with pid: (\d+)/, 5000, mark);
      await waitUntil(async () => (await get(corral!.url, '/').catch(() => null))?.body === next, 5000, `the new worker ${next} answers`);
    } finally {
      await corral?.stop();
    }
  });
});
