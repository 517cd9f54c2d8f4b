// A replacement worker that cannot boot (the code on disk no longer loads) while others serve does
// not halt the master: the serving workers carry on, and the master tries again with backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { get, isAlive, tempDir, waitUntil } from './support.ts';

const GOOD = "export default (req, res) => res.end('ok ' + process.pid);\n";

test('a crashed worker whose replacement cannot load the app: the other worker serves on, and a fixed file brings the count back', async () => {
  const tmp = tempDir();
  const app = path.join(tmp.dir, 'app.mjs');
  fs.writeFileSync(app, GOOD);
  let corral: Corral | undefined;
  try {
    corral = await startCorral([app, '-w', '2']);
    const [victim, survivor] = corral.workerPids as [number, number];
    fs.writeFileSync(app, 'export default (req, res) => {\n  res.end(;\n};\n');
    const mark = corral.output.length;
    process.kill(victim, 'SIGKILL');
    await corral.waitFor(/a new worker could not boot; the 1 running worker\(s\) keep serving; trying again/, 10_000, mark);
    assert.match(corral.output.slice(mark), /app\.mjs:2/, 'the load error names the file and line');
    assert.equal(corral.proc.exitCode, null, 'the master runs on');
    assert.ok(isAlive(survivor));
    const reply = await get(corral.url, '/');
    assert.equal(reply.body, `ok ${survivor}`);

    fs.writeFileSync(app, GOOD);
    const fixed = corral.output.length;
    await corral.waitFor(/Booting worker with pid: \d+/, 20_000, fixed);
    const pids = new Set<string>();
    await waitUntil(async () => pids.add((await get(corral.url, '/')).body).size >= 2, 20_000,
      () => `two workers serving again (seen: ${[...pids].join(', ')})\n${corral!.output.slice(fixed)}`);
  } finally {
    await corral?.stop();
    tmp.cleanup();
  }
});
