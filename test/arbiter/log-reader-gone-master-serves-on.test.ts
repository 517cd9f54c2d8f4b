// The master logs to standard error; when the pipe's reader goes away (a log shipper that died,
// `| head`), its next line fails with EPIPE. That loses the line, not the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, ROOT } from '../helpers/corral.ts';
import { ROUTES_APP, get, isAlive, waitUntil } from './support.ts';

test('the reader of the master\'s log pipe goes away: the master logs on (HUP, a reload) and serves on', async () => {
  const child = spawn(process.execPath, [CLI, ROUTES_APP, '-w', '1', '-b', '127.0.0.1:0'], {
    cwd: ROOT,
    env: { ...process.env, CORRAL_CMD_ARGS: '', WEB_CONCURRENCY: '', PORT: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  try {
    let log = '';
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    await waitUntil(() => /\[INFO\] Ready: /.test(log), 20_000, 'corral is ready');
    const url = /Listening at: (http:\/\/\S+)/.exec(log)![1]!;
    const before = (await get(url, '/')).body;
    child.stderr!.destroy(); // the reader is gone: the master's next write fails with EPIPE
    process.kill(child.pid!, 'SIGHUP'); // a reload logs several lines
    // The reload completes (a new worker answers) only if the master lived through those lines.
    await waitUntil(async () => (await get(url, '/')).body !== before, 20_000, 'a reloaded worker answers');
    assert.ok(isAlive(child.pid!), 'the master is alive');
    assert.equal(child.exitCode, null);
    process.kill(child.pid!, 'SIGTERM');
    await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 10_000, 'the master stops on TERM');
    assert.equal(child.exitCode, 0);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
