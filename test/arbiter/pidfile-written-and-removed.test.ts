// --pid FILE holds the master's pid while it runs and is removed when it exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, tempDir } from './support.ts';

test('--pid writes the master pid and removes the file on exit', async () => {
  const { dir, cleanup } = tempDir();
  const pidfile = path.join(dir, 'corral.pid');
  let corral: Corral | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '--pid', pidfile]);
    assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(corral.pid));
    corral.signal('SIGTERM');
    assert.equal((await corral.waitExit(10_000)).code, 0, corral.output);
    assert.equal(fs.existsSync(pidfile), false, 'the pidfile is removed');
  } finally {
    await corral?.stop();
    cleanup();
  }
});
