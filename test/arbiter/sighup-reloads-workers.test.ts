// SIGHUP reloads: new workers load the app's current code, the old ones finish their requests and
// go, and no request is refused meanwhile; new code that cannot load leaves the old workers serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { get, isAlive, tempDir, waitUntil } from './support.ts';

/** An app answering "<version> <pid>"; /sleep answers after 1.5 s. */
function appSource(version: string): string {
  return `export default (req, res) => {
  const answer = () => res.end('${version} ' + process.pid);
  if (req.url.startsWith('/sleep')) {
    process.stderr.write('[fixture] sleeping\\n');
    setTimeout(answer, 1500);
  } else answer();
};
`;
}

/** Runs `body` with corral serving version v1 of the app from a temp file it may rewrite; cleans up after. */
async function withApp(workers: number, body: (corral: Corral, app: string) => Promise<void>, args: string[] = []): Promise<void> {
  const tmp = tempDir();
  const app = path.join(tmp.dir, 'app.mjs');
  fs.writeFileSync(app, appSource('v1'));
  let corral: Corral | undefined;
  try {
    corral = await startCorral([app, '-w', String(workers), ...args]);
    await body(corral, app);
  } finally {
    await corral?.stop();
    tmp.cleanup();
  }
}

test('SIGHUP: new workers serve the new code, in-flight requests finish, nothing is refused', () =>
  withApp(2, async (corral, app) => {
    const old = corral.workerPids;
    const inflight = get(corral.url, '/sleep', { timeoutMs: 10_000 });
    await corral.waitFor(/\[fixture\] sleeping/, 5000);

    fs.writeFileSync(app, appSource('v2'));
    const mark = corral.output.length;
    corral.signal('SIGHUP');
    // Requests sent all through the reload, one after another: every one is answered.
    let reloading = true;
    const answers: string[] = [];
    const traffic = (async () => {
      while (reloading) answers.push((await get(corral.url, '/', { timeoutMs: 5000 })).body);
    })();
    try {
      await corral.waitFor(/Hang up: Master/, 5000, mark);
      await corral.waitFor(/Reloaded: 2 new worker\(s\) serving/, 20_000, mark);
      const done = await inflight;
      assert.equal(done.status, 200);
      assert.match(done.body, /^v1 /, 'the request in flight finished on its old worker');
      for (const pid of old) await corral.waitFor(new RegExp(`Worker exiting \\(pid: ${pid}\\)`), 10_000, mark);
      await waitUntil(() => old.every((pid) => !isAlive(pid)), 3000, 'the old workers are gone');
    } finally {
      reloading = false;
      await traffic;
    }
    assert.ok(answers.length > 0);
    assert.ok(answers.every((a) => /^v[12] \d+$/.test(a)), `every request was answered: ${answers.filter((a) => !/^v[12] /.test(a))}`);
    const after = await get(corral.url, '/');
    assert.match(after.body, /^v2 /, 'the new code serves');
    assert.ok(!old.includes(Number(after.body.split(' ')[1])));
    assert.doesNotMatch(corral.output.slice(mark), /exited with code|was sent/);
  }));

// New code that cannot serve: the reload is abandoned, the old workers keep serving, the master runs on.
const BROKEN_RELOADS: ReadonlyArray<{ what: string; source: string; args: string[]; says: RegExp }> = [
  {
    what: 'code that no longer loads',
    source: 'export default (req, res) => {\n  res.end(;\n};\n',
    args: [],
    says: /app\.mjs:2/, // the load error names the file and line
  },
  {
    what: 'code whose loading never finishes (after --boot-timeout)',
    source: 'await new Promise(() => {});\nexport default (req, res) => res.end("never");\n',
    args: ['-t', '2', '--boot-timeout', '2'],
    says: /WORKER TIMEOUT \(pid: \d+\) while booting/,
  },
];

for (const { what, source, args, says } of BROKEN_RELOADS) {
  test(`SIGHUP with ${what}: the reload is abandoned and the old workers keep serving`, () =>
    withApp(2, async (corral, app) => {
      const old = corral.workerPids;
      fs.writeFileSync(app, source);
      const mark = corral.output.length;
      corral.signal('SIGHUP');
      await corral.waitFor(/Reload failed: a new worker could not boot; the 2 running worker\(s\) keep serving/, 20_000, mark);
      assert.match(corral.output.slice(mark), says);
      const reply = await get(corral.url, '/');
      assert.match(reply.body, /^v1 /);
      assert.ok(old.includes(Number(reply.body.split(' ')[1])));
      assert.ok(old.every(isAlive));
      assert.equal(corral.proc.exitCode, null, 'the master runs on');

      corral.signal('SIGTERM');
      const { code } = await corral.waitExit(10_000);
      assert.equal(code, 0, corral.output);
    }, args));
}

test('SIGUSR2 (re-exec) is not supported: the master says so and serves on', () =>
  withApp(1, async (corral) => {
    corral.signal('SIGUSR2');
    await corral.waitFor(/\[WARNING\] Handling signal: usr2; re-executing the master is not supported/, 5000);
    assert.equal((await get(corral.url, '/')).status, 200);
  }));
