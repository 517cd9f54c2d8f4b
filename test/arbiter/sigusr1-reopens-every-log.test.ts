// SIGUSR1 after log rotation: the master and its workers write to the new file; a file that cannot
// be reopened is reported and the master carries on. --error-logfile paths are taken from --chdir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runCorral, startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, tempDir, waitUntil } from './support.ts';

const read = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

test('SIGUSR1: after the log is moved away, the master and the workers write to a new file', async () => {
  const tmp = tempDir();
  const log = path.join(tmp.dir, 'error.log');
  let corral: Corral | undefined;
  try {
    corral = await startCorral([path.join(ROOT, ROUTES_APP), '-w', '2', '--error-logfile', log], { waitFor: null });
    await waitUntil(() => /Ready: /.test(read(log)), 20_000, 'the Ready line in the log');
    const url = read(log).match(/Listening at: (\S+)/)![1]!;
    fs.renameSync(log, `${log}.1`);
    corral.signal('SIGUSR1');
    await waitUntil(() => /Handling signal: usr1; log files reopened/.test(read(log)), 5000, 'the master to log to the new file');
    // /throw makes a worker log the error: poll until a worker line lands in the new file.
    await waitUntil(async () => {
      await get(url, '/throw');
      return /Error handling request GET \/throw/.test(read(log));
    }, 5000, 'a worker line in the new file');
    assert.doesNotMatch(read(`${log}.1`), /Error handling request/, 'nothing went to the rotated file');
  } finally {
    await corral?.stop();
    tmp.cleanup();
  }
});

test('SIGUSR1 when the log cannot be reopened: the master says so in the old file and supervises on', async () => {
  const tmp = tempDir();
  const log = path.join(tmp.dir, 'error.log');
  let corral: Corral | undefined;
  try {
    corral = await startCorral([path.join(ROOT, ROUTES_APP), '-w', '1', '--error-logfile', log], { waitFor: null });
    await waitUntil(() => /Ready: /.test(read(log)), 20_000, 'the Ready line in the log');
    fs.renameSync(log, `${log}.1`);
    fs.mkdirSync(log); // the path is now a directory: opening it to append fails
    corral.signal('SIGUSR1');
    await waitUntil(() => /Cannot reopen --error-logfile .*error\.log: EISDIR/.test(read(`${log}.1`)), 5000, 'the failure in the old file');
    corral.signal('SIGTTIN');
    await waitUntil(() => (read(`${log}.1`).match(/Booting worker with pid/g) ?? []).length === 2, 10_000, 'the master to act on the next signal');
    corral.signal('SIGTERM');
    const { code } = await corral.waitExit(10_000);
    assert.equal(code, 0, corral.output);
  } finally {
    await corral?.stop();
    tmp.cleanup();
  }
});

test('a relative --error-logfile is taken from --chdir, for the master and the workers alike', async () => {
  const tmp = tempDir();
  fs.mkdirSync(path.join(tmp.dir, 'sub'));
  let corral: Corral | undefined;
  try {
    corral = await startCorral([path.join(ROOT, ROUTES_APP), '--chdir', 'sub', '--error-logfile', 'logs.txt'], { cwd: tmp.dir, waitFor: null });
    const log = path.join(tmp.dir, 'sub', 'logs.txt');
    await waitUntil(() => /Ready: /.test(read(log)), 20_000, 'the Ready line in sub/logs.txt');
    const url = read(log).match(/Listening at: (\S+)/)![1]!;
    await waitUntil(async () => {
      await get(url, '/throw');
      return /Error handling request/.test(read(log));
    }, 5000, 'a worker line in sub/logs.txt');
    assert.equal(fs.existsSync(path.join(tmp.dir, 'logs.txt')), false, 'no log file outside --chdir');
  } finally {
    await corral?.stop();
    tmp.cleanup();
  }
});

test('an --error-logfile that cannot be opened is an error naming the setting and the path', async () => {
  const tmp = tempDir();
  try {
    const missing = path.join(tmp.dir, 'no-such-dir', 'x.log');
    const { code, output } = await runCorral([ROUTES_APP, '--error-logfile', missing]);
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`invalid value for --error-logfile: "${missing}"; expected a file corral can append to \\(ENOENT\\)`));
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  } finally {
    tmp.cleanup();
  }
});
