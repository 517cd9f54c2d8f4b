// A worker whose event loop is blocked is reported with the blocked code's stack and its requests, then replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import http from 'node:http';
import { FIXTURES, startCorral } from '../helpers/corral.ts';

/** One GET on a fresh connection, with a deadline. */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

const SPIN = path.join(FIXTURES, 'watchdog', 'spin.ts');

test('a spinning route: WARNING then ERROR with the TypeScript stack and the request, the worker replaced, others served throughout', async () => {
  const corral = await startCorral([SPIN, '-w', '2', '-t', '4', '--blocked-warning', '0.5']);
  try {
    const [spinning] = corral.workerPids;
    void fetch(`${corral.url}/spin`, { signal: AbortSignal.timeout(15_000) }).catch(() => undefined);

    const warning = await corral.waitFor(/\[WARNING\] Worker \(pid:(\d+)\) event loop blocked for [\d.]+ s[^\n]*\n(?:  .*\n)+/, 15_000);
    assert.match(warning[0], /at spinForever \(.*spin\.ts:9:\d+\)/, 'the stack names the spinning function, its .ts file and line');
    assert.match(warning[0], /at app \(.*spin\.ts:13:\d+\)/);
    assert.match(warning[0], /Requests in flight on this worker:\n\s+GET \/spin \([\d.]+ s\)/);
    const blockedPid = Number(warning[1]);

    // From now on the blocked worker accepts nothing: every new connection goes to the other one.
    const served: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        served.push(await getStatus(corral.url));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const error = await corral.waitFor(new RegExp(`\\[ERROR\\] Worker \\(pid:${blockedPid}\\) event loop blocked for [\\d.]+ s; it will be killed at --timeout 4 s\\n(?:  .*\\n)+`), 15_000);
    assert.match(error[0], /at spinForever \(.*spin\.ts:9:\d+\)/);
    await corral.waitFor(new RegExp(`WORKER TIMEOUT \\(pid: ${blockedPid}\\)`), 15_000);
    const before = corral.workerPids.length;
    await corral.waitFor(/Booting worker with pid: \d+/, 10_000, corral.output.lastIndexOf('WORKER TIMEOUT'));
    assert.ok(corral.workerPids.length > before || corral.workerPids.length >= 3, 'a replacement worker boots');
    assert.ok([spinning, corral.workerPids[1]].includes(blockedPid));

    polling = false;
    await poller;
    assert.ok(served.length >= 5, `other requests were served while a worker was blocked (${served.length})`);
    assert.deepEqual([...new Set(served)], [200]);
    // The ERROR report comes before the kill.
    assert.ok(corral.output.indexOf(error[0]) < corral.output.indexOf(`WORKER TIMEOUT (pid: ${blockedPid})`));
  } finally {
    await corral.stop();
  }
});

test('--blocked-warning 0 turns the warning off; the ERROR before a timeout kill stays', async () => {
  const corral = await startCorral([SPIN, '-w', '2', '-t', '2', '--blocked-warning', '0']);
  try {
    void fetch(`${corral.url}/spin`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    await corral.waitFor(/WORKER TIMEOUT \(pid: \d+\)/, 15_000);
    assert.match(corral.output, /\[ERROR\] Worker \(pid:\d+\) event loop blocked for/);
    assert.doesNotMatch(corral.output, /\[WARNING\] Worker \(pid:\d+\) event loop blocked/);
  } finally {
    await corral.stop();
  }
});

test('a loop blocked in native code (a synchronous child process): reported while it lasts, as not running JavaScript', async () => {
  const corral = await startCorral([path.join(FIXTURES, 'servers', 'routes.mjs'), '-w', '1', '--blocked-warning', '1']);
  try {
    let answered = false;
    const request = fetch(`${corral.url}/native?s=4`, { signal: AbortSignal.timeout(15_000) }).then(() => (answered = true));
    request.catch(() => undefined);
    await corral.waitFor(/\[fixture\] \d+ blocking in native code/, 5000);
    const warning = await corral.waitFor(/\[WARNING\] Worker \(pid:\d+\) event loop blocked for [\d.]+ s[^\n]*\n(?:  .*\n)+/, 10_000);
    assert.equal(answered, false, 'the report came while the loop was still blocked, not after');
    assert.match(warning[0], /No JavaScript was running: the thread is blocked in native code or a synchronous system call/);
    assert.match(warning[0], /The requests in flight could not be read/);
    await request;
  } finally {
    await corral.stop();
  }
});
