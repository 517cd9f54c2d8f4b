// Binding unix sockets: serving, removing the file on exit, replacing a stale file, refusing a live one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { runCorral, startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, get, portOf, tempDir, waitUntil } from './support.ts';

describe('unix socket binds', { concurrency: true }, () => {
  test('-b unix:PATH serves, and the socket file is removed on exit', async () => {
    const { dir, cleanup } = tempDir();
    const sock = path.join(dir, 's.sock');
    let corral: Corral | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-b', `unix:${sock}`]);
      assert.match(corral.output, new RegExp(`Listening at: unix:${sock.replace(/[.]/g, '\\.')} \\(${corral.pid}\\)`));
      assert.ok(fs.statSync(sock).isSocket());
      const reply = await get('', '/', { socketPath: sock });
      assert.equal(reply.status, 200);
      assert.ok(corral.workerPids.includes(Number(reply.body)));

      corral.signal('SIGTERM');
      assert.equal((await corral.waitExit(10_000)).code, 0, corral.output);
      assert.equal(fs.existsSync(sock), false, 'the socket file is gone after exit');
    } finally {
      await corral?.stop();
      cleanup();
    }
  });

  test('a stale socket file (its server died without unlinking it) is replaced', async () => {
    const { dir, cleanup } = tempDir();
    const sock = path.join(dir, 's.sock');
    let corral: Corral | undefined;
    // A server killed with SIGKILL never unlinks its socket file: that is the stale file.
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: 'ignore' });
    try {
      await waitUntil(() => fs.existsSync(sock), 10_000, 'the holder created its socket');
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      assert.ok(fs.statSync(sock).isSocket(), 'the dead server left its socket file behind');

      corral = await startCorral([ROUTES_APP, '-b', `unix:${sock}`]);
      const reply = await get('', '/', { socketPath: sock });
      assert.equal(reply.status, 200);
      assert.equal(Number(reply.body), corral.workerPids[0]);
    } finally {
      holder.kill('SIGKILL');
      await corral?.stop();
      cleanup();
    }
  });

  test('a socket file a live server answers on makes corral exit 1 naming it', async () => {
    const { dir, cleanup } = tempDir();
    const sock = path.join(dir, 's.sock');
    const server = net.createServer((s) => s.end());
    server.listen(sock);
    await once(server, 'listening');
    try {
      const result = await runCorral([ROUTES_APP, '-b', `unix:${sock}`], { timeoutMs: 8000 });
      assert.equal(result.code, 1, result.output);
      assert.ok(result.output.includes(sock), `the message names ${sock}:\n${result.output}`);
      assert.match(result.output, /already in use/);
      assert.doesNotMatch(result.output, /Booting worker/);
      assert.ok(fs.existsSync(sock), 'the live server keeps its socket file');
    } finally {
      server.close();
      cleanup();
    }
  });

  test('a socket in a directory that does not exist makes corral exit 1 naming the directory', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const missing = path.join(dir, 'no-such-dir');
      const result = await runCorral([ROUTES_APP, '-b', `unix:${path.join(missing, 's.sock')}`], { timeoutMs: 8000 });
      assert.equal(result.code, 1, result.output);
      assert.ok(result.output.includes(`directory ${missing} does not exist`), result.output);
    } finally {
      cleanup();
    }
  });

  test('a TCP bind and a unix bind at once both serve', async () => {
    const { dir, cleanup } = tempDir();
    const sock = path.join(dir, 's.sock');
    let corral: Corral | undefined;
    try {
      corral = await startCorral([ROUTES_APP, '-b', '127.0.0.1:0', '-b', `unix:${sock}`]);
      const lines = corral.output.match(/Listening at: \S+/g) ?? [];
      assert.equal(lines.length, 2, corral.output);
      assert.ok(portOf(corral.url) > 0);
      const overTcp = await get(corral.url, '/');
      const overUnix = await get('', '/', { socketPath: sock });
      assert.equal(overTcp.status, 200);
      assert.equal(overUnix.status, 200);
      assert.equal(overTcp.body, overUnix.body, 'the one worker serves both listeners');
    } finally {
      await corral?.stop();
      cleanup();
    }
  });
});
