// --share-threads: a request waiting on a worker whose threads are all busy runs on another worker's idle thread; the connection stays put.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { within } from '../arbiter/support.ts';
import { THREAD_APP } from './support.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The order in which answers arrived, across every request of a test. */
  seq: number;
}

let arrivals = 0;

/** A client whose requests all go on one keep-alive connection (so on one worker). */
class Pinned {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(readonly url: string) {}

  request(path: string, opts: { method?: string; body?: Buffer; timeoutMs?: number } = {}): Promise<Answer> {
    const { hostname, port } = new URL(this.url);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: hostname, port, path, method: opts.method ?? 'GET', agent: this.agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), seq: ++arrivals }));
        res.on('error', reject);
      });
      req.setTimeout(opts.timeoutMs ?? 20_000, () => req.destroy(new Error(`${path}: no answer in time`)));
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  async pid(): Promise<number> {
    const a = await this.request('/who');
    return (JSON.parse(a.body.toString()) as { pid: number }).pid;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Keep-alive connections until one worker holds `onBusy` of them and the other `onOther`. */
async function spread(corral: Corral, onBusy: number, onOther: number): Promise<{ busy: Pinned[]; other: Pinned[]; pids: [number, number]; all: Pinned[] }> {
  const all: Pinned[] = [];
  const byPid = new Map<number, Pinned[]>();
  for (let i = 0; i < 48; i++) {
    const c = new Pinned(corral.url);
    all.push(c);
    const pid = await c.pid();
    byPid.set(pid, [...(byPid.get(pid) ?? []), c]);
    const [[p1, c1] = [0, []], [p2, c2] = [0, []]] = [...byPid.entries()];
    if (c1.length >= onBusy && c2.length >= onOther) return { busy: c1, other: c2, pids: [p1, p2], all };
    if (c2.length >= onBusy && c1.length >= onOther) return { busy: c2, other: c1, pids: [p2, p1], all };
  }
  for (const c of all) c.close();
  throw new Error(`48 connections did not spread ${onBusy}/${onOther}: ${[...byPid.entries()].map(([p, c]) => `${p}: ${c.length}`).join(', ')}`);
}

/**
 * Waits until the worker's only thread has started the CPU-bound request `url`: the fixture app
 * appends "<pid> GET <path>" to started.log in CORRAL_TEST_DIR as it starts one. (Not the blocked
 * warning: on a loaded machine it comes late, after its stack read, and a thread merely not
 * scheduled for a moment warns too.)
 */
async function threadBusy(dir: string, pid: number, url: string): Promise<void> {
  const line = `${pid} GET ${url}\n`;
  const deadline = Date.now() + 15_000;
  while (!fs.readFileSync(path.join(dir, 'started.log'), 'utf8').includes(line)) {
    if (Date.now() > deadline) throw new Error(`worker ${pid} did not start GET ${url} within 15 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// --keep-alive 60: the pinned connections must outlive the set-up (opening them one by one, waiting
// for threads to be busy), which on a loaded machine can take longer than the default 5 s; a
// connection the server closes as idle just as its client reuses it fails with "socket hang up".
const args = (...more: string[]) => [THREAD_APP, '-k', 'thread', '-w', '2', '--threads', '1', '--no-rebalance', '--keep-alive', '60', ...more];

interface Setup {
  corral: Corral;
  /** Connections on the worker that will be busy, and on the other one. */
  busy: Pinned[];
  other: Pinned[];
  pids: [busy: number, other: number];
  /**
   * Sends `/hold?name=<name>` on `conn` and resolves once the thread of worker `pid` runs it (CPU
   * bound, its thread blocked) with its answer to come: it comes after release(name). Wrapped: an
   * async function would otherwise wait for the answer itself.
   */
  hold(conn: Pinned, name: string, pid: number): Promise<{ answer: Promise<Answer> }>;
  release(name: string): void;
  /** Resolves once worker `pid`'s thread runs the CPU-bound request `url`. */
  running(pid: number, url: string): Promise<void>;
}

/**
 * Starts 2 workers of one thread each, opens connections until one worker holds `onBusy` and the
 * other `onOther`, runs `body`, and cleans up whatever happens (held requests released first).
 * The tests order requests by holding a thread until they release it, not by how long a request
 * runs: a loaded machine stretches every duration.
 */
async function withWorkers(more: string[], onBusy: number, onOther: number, body: (s: Setup) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-busy-'));
  fs.writeFileSync(path.join(dir, 'started.log'), '');
  const release = (name: string) => fs.writeFileSync(path.join(dir, name), '');
  const held = new Set<string>();
  const running = (pid: number, url: string) => threadBusy(dir, pid, url);
  const hold = async (conn: Pinned, name: string, pid: number) => {
    held.add(name);
    const url = `/hold?name=${name}`;
    const answer = conn.request(url, { timeoutMs: 60_000 });
    await running(pid, url);
    return { answer };
  };
  const corral = await startCorral(args(...more), { timeoutMs: 30_000, env: { CORRAL_TEST_DIR: dir } });
  try {
    const { busy, other, pids, all } = await spread(corral, onBusy, onOther);
    try {
      await body({ corral, busy, other, pids, hold, release, running });
    } catch (err) {
      // What the server logged says which worker did what: keep it with the failure.
      if (err instanceof Error) err.message += `\ncorral output:\n${corral.output}`;
      throw err;
    } finally {
      for (const name of held) release(name);
      for (const c of all) c.close();
    }
  } finally {
    await corral.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `p` has settled (looked at after a turn of the event loop). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

test('requests queued behind a busy thread run on the other worker: GET, an uploaded body, a streamed response, the client address', async () => {
  await withWorkers([], 2, 1, async ({ hold, release, busy: [a, b], pids: [busy, other] }) => {
    const { answer: long } = await hold(a!, 'a', busy);
    const who = await b!.request('/who');
    assert.equal(JSON.parse(who.body.toString()).pid, other, 'the waiting request ran on the other worker');

    const body = Buffer.alloc(3 * 1024 * 1024 + 7, 'q');
    const up = await b!.request('/upload', { method: 'POST', body });
    const got = JSON.parse(up.body.toString()) as { bytes: number; sha256: string; buffered: number; pid: number; ip: string };
    assert.deepEqual(got, { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), buffered: got.buffered, pid: other, ip: '127.0.0.1' });

    const big = await b!.request('/big?mb=8');
    assert.equal(big.status, 200);
    assert.equal(big.headers['x-pid'], String(other));
    assert.equal(big.body.subarray(0, 8 * 1024 * 1024).toString(), 'x'.repeat(8 * 1024 * 1024));
    assert.match(big.body.subarray(8 * 1024 * 1024).toString(), /^\nwaits=\d+\n$/);

    assert.equal(await settled(long), false, 'the busy thread still runs its request');
    release('a');
    const done = await within(long, 20_000, 'the long request');
    assert.equal(done.status, 200);
    // The connection never moved: its next request, with the worker free again, runs there.
    assert.equal(await b!.pid(), busy);
  });
});

// This test was skipped for a while: about one full CI run in ten failed it, a request never
// answered or (rarer) a connection reset. Both came from the blocked warnings' stack reads it then
// waited on (one per busy request): a read given up at its deadline could leave the app thread
// paused in the debugger for good (the request never answered), and the inspector's messages ran
// our code inside an interrupt, in the middle of whatever the main thread was doing — timers
// included, whose queue that can break (a crash was seen; a misfiring keep-alive timer would reset
// a connection). test/thread/reading-a-thread-stack-never-leaves-it-paused.test.ts covers the
// first. These tests now know a request runs from the fixture's log, and hold threads until they
// release them; the warnings still come, with their stack reads, at the default 1 s.
test('a worker whose own requests wait still takes another worker\'s request that has waited longer, in arrival order', async () => {
  await withWorkers([], 2, 3, async ({ hold, release, running, busy: [a, b], other: [c, d1, d2], pids: [busy, other] }) => {
    const { answer: long } = await hold(a!, 'a', busy);
    const { answer: first } = await hold(c!, 'c', other);
    // Both threads busy: b waits on its worker, then (later) d1 and d2 on the other. d1 and d2 take
    // a while each, so that the order they ran in is the order their answers arrive in (a passed
    // request's answer goes back through the passing worker, one hop more than a direct one).
    const waitedLongest = b!.request('/who');
    await new Promise((r) => setTimeout(r, 300));
    const next = d1!.request('/busy?ms=600');
    const last = d2!.request('/busy?ms=300');
    await new Promise((r) => setTimeout(r, 300));
    release('c');
    await running(other, '/busy?ms=600');
    const [x, y, z, w] = await within(Promise.all([first, next, waitedLongest, last]), 20_000, 'the four requests');
    assert.deepEqual([x.status, y.status, z.status, w.status], [200, 200, 200, 200]);
    assert.equal(JSON.parse(z.body.toString()).pid, other, 'the request that waited longest ran on the other worker');
    assert.ok(z.seq < w.seq, 'it ran before the other worker\'s own later request (arrival order)');
    assert.ok(y.seq < z.seq, 'after the request already running there');
    assert.equal(await settled(long), false);
    release('a');
    assert.equal((await within(long, 20_000, 'the long request')).status, 200);
  });
});

test('--no-share-threads: a request queued behind a busy thread waits for it', async () => {
  await withWorkers(['--no-share-threads'], 2, 1, async ({ hold, release, busy: [a, b], pids: [busy] }) => {
    const { answer: long } = await hold(a!, 'a', busy);
    const queued = b!.request('/who');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await settled(queued), false, 'the queued request waits while the thread is busy');
    release('a');
    const [done, who] = await within(Promise.all([long, queued]), 20_000, 'both requests');
    assert.equal(JSON.parse(who.body.toString()).pid, busy);
    assert.ok(done.seq < who.seq, 'the queued request was answered after the busy one');
  });
});

test('a passed request whose thread crashes gets a 500, and one whose worker is killed gets a 500; the passing worker serves on', async () => {
  await withWorkers([], 2, 1, async ({ corral, hold, release, busy: [a, b], pids: [busy, other] }) => {
    const { answer: long } = await hold(a!, 'a', busy);

    const crashed = await b!.request('/crash');
    assert.equal(crashed.status, 500);
    await corral.waitFor(new RegExp(`Worker \\(pid:${other}\\) app thread \\d+ crashed`), 10_000);
    await corral.waitFor(new RegExp(`Worker \\(pid:${other}\\) app thread \\d+ ready, in place of`), 15_000);

    const { answer: killed } = await hold(b!, 'k', other);
    process.kill(other, 'SIGKILL');
    const lost = await within(killed, 10_000, 'the request on the killed worker');
    assert.equal(lost.status, 500);
    assert.match(corral.output, new RegExp(`The worker \\(pid:${other}\\) running this request on one of its threads went away`));

    release('a');
    assert.equal((await within(long, 20_000, 'the long request')).status, 200);
    assert.equal(await a!.pid(), busy, 'the passing worker serves on, on the same connection');
    assert.doesNotMatch(corral.output, new RegExp(`Worker \\(pid:${busy}\\) (exited|was sent)`));
    await corral.waitFor(new RegExp(`Worker \\(pid:${other}\\) was sent SIGKILL`), 10_000);
  });
});

test('SIGTERM: a request passed to another worker still completes before that worker exits', async () => {
  await withWorkers([], 2, 1, async ({ corral, hold, release, busy: [a, b], pids: [busy, other] }) => {
    const { answer: long } = await hold(a!, 'a', busy);
    const { answer: passed } = await hold(b!, 'b', other);
    corral.signal('SIGTERM');
    // The stop has begun (the master passes SIGTERM on to the workers); they still serve what they have.
    await corral.waitFor(/Handling signal: term/, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    release('a');
    release('b');
    const [x, y] = await within(Promise.all([long, passed]), 20_000, 'both requests');
    assert.deepEqual([x.status, x.body.toString(), y.status, y.body.toString()], [200, 'done', 200, 'done']);
    assert.equal((await corral.waitExit()).code, 0);
  });
});
