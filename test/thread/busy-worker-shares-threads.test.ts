// --share-threads: a request waiting on a worker whose threads are all busy runs on another worker's idle thread; the connection stays put.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
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
 * Waits until the worker's only thread is in the middle of the CPU-bound request `path` (its blocked
 * warning naming that request: on a loaded machine a warning can also come from a thread that was
 * merely not scheduled for a moment, with no request or another one).
 */
const threadBusy = (corral: Corral, pid: number, path: string, from: number) => {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const warning = `\\[WARNING\\] Worker \\(pid:${pid}\\) app thread \\d+ event loop blocked[^\\n]*\\n(?:  .*\\n)*?    GET ${escaped} `;
  return corral.waitFor(new RegExp(warning), 15_000, from);
};

// --keep-alive 60: the pinned connections must outlive the set-up (opening them one by one, waiting
// for threads to be busy), which on a loaded machine can take longer than the default 5 s; a
// connection the server closes as idle just as its client reuses it fails with "socket hang up".
const args = (...more: string[]) =>
  [THREAD_APP, '-k', 'thread', '-w', '2', '--threads', '1', '--no-rebalance', '--blocked-warning', '0.3', '--keep-alive', '60', ...more];

interface Setup {
  corral: Corral;
  /** Connections on the worker that will be busy, and on the other one. */
  busy: Pinned[];
  other: Pinned[];
  pids: [busy: number, other: number];
}

/**
 * Starts 2 workers of one thread each, opens connections until one worker holds `onBusy` and the
 * other `onOther`, runs `body`, and cleans up whatever happens.
 */
async function withWorkers(more: string[], onBusy: number, onOther: number, body: (s: Setup) => Promise<void>): Promise<void> {
  const corral = await startCorral(args(...more), { timeoutMs: 30_000 });
  try {
    const { busy, other, pids, all } = await spread(corral, onBusy, onOther);
    try {
      await body({ corral, busy, other, pids });
    } catch (err) {
      // What the server logged says which worker did what: keep it with the failure.
      if (err instanceof Error) err.message += `\ncorral output:\n${corral.output}`;
      throw err;
    } finally {
      for (const c of all) c.close();
    }
  } finally {
    await corral.stop();
  }
}

/**
 * Sends a CPU-bound request and resolves once its thread is busy with it, with the answer to come
 * (wrapped: an async function would otherwise wait for the answer itself).
 */
async function occupy(corral: Corral, conn: Pinned, path: string, pid: number): Promise<{ answer: Promise<Answer> }> {
  const from = corral.output.length;
  const answer = conn.request(path);
  await threadBusy(corral, pid, path, from);
  return { answer };
}

test('requests queued behind a busy thread run on the other worker: GET, an uploaded body, a streamed response, the client address', async () => {
  await withWorkers([], 2, 1, async ({ corral, busy: [a, b], pids: [busy, other] }) => {
    const { answer: long } = await occupy(corral, a!, '/busy?ms=6000', busy);
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

    const done = await within(long, 20_000, 'the long request');
    assert.equal(done.status, 200);
    assert.ok(who.seq < done.seq && up.seq < done.seq && big.seq < done.seq, 'every queued request was answered while the busy thread still ran');
    // The connection never moved: its next request, with the worker free again, runs there.
    assert.equal(await b!.pid(), busy);
  });
});

// d2's request takes a while (not an instant /who): the passed request's answer goes back through
// the passing worker, one hop more than d2's direct one, so two instant answers could reach their
// clients in either order even when they ran in the right one.
//
// This test was skipped for a while: about one full CI run in ten failed it, a request never
// answered or (rarer) a connection reset. Both came from the blocked warnings' stack reads (this
// test makes one per busy request): a read given up at its deadline could leave the app thread
// paused in the debugger for good (the request never answered), and the inspector's messages ran
// our code inside an interrupt, in the middle of whatever the main thread was doing — timers
// included, whose queue that can break (a crash was seen; a misfiring keep-alive timer would reset a
// connection). test/thread/reading-a-thread-stack-never-leaves-it-paused.test.ts covers the first.
test('a worker whose own requests wait still takes another worker\'s request that has waited longer, in arrival order', async () => {
  await withWorkers([], 2, 3, async ({ corral, busy: [a, b], other: [c, d1, d2], pids: [busy, other] }) => {
    // c's request runs long enough that d1's arrives while it still runs, even when the blocked
    // warning that says it started comes late (a loaded machine); a's outlasts all of them.
    const { answer: long } = await occupy(corral, a!, '/busy?ms=8000', busy);
    const { answer: first } = await occupy(corral, c!, '/busy?ms=2000', other);
    // Both threads busy: b waits on its worker, then (later) d1 and d2 on the other.
    const waitedLongest = b!.request('/who');
    await new Promise((r) => setTimeout(r, 150));
    const next = d1!.request('/busy?ms=600');
    const last = d2!.request('/busy?ms=300');
    const [x, y, z, w] = await within(Promise.all([first, next, waitedLongest, last]), 20_000, 'the four requests');
    assert.deepEqual([x.status, y.status, z.status, w.status], [200, 200, 200, 200]);
    assert.equal(JSON.parse(z.body.toString()).pid, other, 'the request that waited longest ran on the other worker');
    assert.ok(z.seq < w.seq, 'it ran before the other worker\'s own later request (arrival order)');
    assert.ok(y.seq < z.seq, 'after the request already running there');
    const done = await within(long, 20_000, 'the long request');
    assert.ok(w.seq < done.seq);
  });
});

test('--no-share-threads: a request queued behind a busy thread waits for it', async () => {
  await withWorkers(['--no-share-threads'], 2, 1, async ({ corral, busy: [a, b], pids: [busy] }) => {
    const { answer: long } = await occupy(corral, a!, '/busy?ms=1500', busy);
    const who = await b!.request('/who');
    const done = await within(long, 20_000, 'the long request');
    assert.equal(JSON.parse(who.body.toString()).pid, busy);
    assert.ok(done.seq < who.seq, 'the queued request was answered after the busy one');
  });
});

test('a passed request whose thread crashes gets a 500, and one whose worker is killed gets a 500; the passing worker serves on', async () => {
  await withWorkers([], 2, 1, async ({ corral, busy: [a, b], pids: [busy, other] }) => {
    const { answer: long } = await occupy(corral, a!, '/busy?ms=8000', busy);

    const crashed = await b!.request('/crash');
    assert.equal(crashed.status, 500);
    await corral.waitFor(new RegExp(`Worker \\(pid:${other}\\) app thread \\d+ crashed`), 10_000);
    await corral.waitFor(new RegExp(`Worker \\(pid:${other}\\) app thread \\d+ ready, in place of`), 15_000);

    const { answer: killed } = await occupy(corral, b!, '/busy?ms=5000', other);
    process.kill(other, 'SIGKILL');
    const lost = await within(killed, 10_000, 'the request on the killed worker');
    assert.equal(lost.status, 500);
    assert.match(corral.output, new RegExp(`The worker \\(pid:${other}\\) running this request on one of its threads went away`));

    assert.equal((await within(long, 20_000, 'the long request')).status, 200);
    assert.equal(await a!.pid(), busy, 'the passing worker serves on, on the same connection');
    assert.doesNotMatch(corral.output, new RegExp(`Worker \\(pid:${busy}\\) (exited|was sent)`));
    await corral.waitFor(new RegExp(`Worker \\(pid:${other}\\) was sent SIGKILL`), 10_000);
  });
});

test('SIGTERM: a request passed to another worker still completes before that worker exits', async () => {
  await withWorkers([], 2, 1, async ({ corral, busy: [a, b], pids: [busy, other] }) => {
    const { answer: long } = await occupy(corral, a!, '/busy?ms=2500', busy);
    const { answer: passed } = await occupy(corral, b!, '/busy?ms=1500', other);
    corral.signal('SIGTERM');
    const [x, y] = await within(Promise.all([long, passed]), 20_000, 'both requests');
    assert.deepEqual([x.status, x.body.toString(), y.status, y.body.toString()], [200, 'done', 200, 'done']);
    assert.equal((await corral.waitExit()).code, 0);
  });
});
