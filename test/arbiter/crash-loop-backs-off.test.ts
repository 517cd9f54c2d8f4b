// A worker that keeps crashing soon after it boots is respawned with a growing delay, never in a hot loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { fixture, waitUntil } from './support.ts';

test('a worker exiting 200 ms after boot is respawned with increasing delays', async () => {
  let corral: Corral | undefined;
  try {
    corral = await startCorral([fixture('exits-after-boot.mjs'), '-w', '1']);
    const started = Date.now();
    // An observation window, not a synchronisation point: the claim is about how many spawns fit in it.
    await waitUntil(() => Date.now() - started >= 5000, 6000, '5 s of crash loop have passed', 100);
    const output = corral.output;
    const spawns = corral.workerPids.length;
    assert.ok(spawns >= 3, `the worker is respawned (saw ${spawns} spawns):\n${output}`);
    assert.ok(spawns < 12, `no hot loop: ${spawns} spawns in 5 s:\n${output}`);
    assert.match(output, /Worker \(pid:\d+\) exited with code 1\b/);

    const delays = [...output.matchAll(/respawning in ([\d.]+) s/g)].map((m) => Number(m[1]));
    assert.ok(delays.length >= 2, `the log says "respawning in" (saw ${delays.length}):\n${output}`);
    for (let i = 1; i < delays.length; i++) {
      assert.ok(delays[i]! >= delays[i - 1]!, `delays never shrink during the loop: ${delays.join(', ')}`);
    }
    assert.ok(delays.at(-1)! > delays[0]!, `delays grow: ${delays.join(', ')}`);

    corral.signal('SIGTERM');
    const { code } = await corral.waitExit(10_000);
    assert.equal(code, 0, output);
  } finally {
    await corral?.stop();
  }
});
