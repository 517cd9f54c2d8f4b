// --rebalance: keep-alive connections held by one worker are spread to a worker that started later.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { ROUTES_APP, RawConnection, distinctPidsServing, portOf } from './support.ts';

const CLIENTS = 20;

/** Keep-alive clients that each request `/` (the worker's pid) over and over, reconnecting when told to close. */
class Clients {
  readonly conns: RawConnection[] = [];
  /** The pid that served each client's last response. */
  readonly servedBy: string[] = [];
  closesSeen = 0;
  requests = 0;
  #running = true;
  #loops: Array<Promise<void>> = [];

  constructor(readonly port: number) {}

  async start(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const conn = await RawConnection.open(this.port);
      this.conns.push(conn);
      this.servedBy.push((await conn.request('/')).body);
    }
    this.#loops = this.conns.map((_, i) => this.#loop(i));
  }

  async #loop(i: number): Promise<void> {
    while (this.#running) {
      const reply = await this.conns[i]!.request('/');
      assert.equal(reply.status, 200, 'every request is answered');
      this.requests++;
      this.servedBy[i] = reply.body;
      if (reply.headers.connection === 'close') {
        this.closesSeen++;
        this.conns[i]!.destroy();
        this.conns[i] = await RawConnection.open(this.port);
      }
      await sleep(10);
    }
  }

  perWorker(): Map<string, number> {
    return this.servedBy.reduce((m, pid) => m.set(pid, (m.get(pid) ?? 0) + 1), new Map<string, number>());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const c of this.conns) c.destroy();
  }
}

/** Waits until `pred` holds, or `ms` pass; says whether it held. */
async function holdsWithin(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await sleep(50);
  }
  return pred();
}

async function withOneWorkerThenTwo(extraArgs: string[], check: (clients: Clients, added: string, corral: Corral) => Promise<void>): Promise<void> {
  let corral: Corral | undefined;
  let clients: Clients | undefined;
  try {
    corral = await startCorral([ROUTES_APP, '-w', '1', '--keep-alive', '60', ...extraArgs]);
    clients = new Clients(portOf(corral.url));
    await clients.start(CLIENTS);
    assert.equal(clients.perWorker().size, 1, 'with one worker, it holds every connection');
    const mark = corral.output.length;
    corral.signal('SIGTTIN');
    const [, added] = await corral.waitFor(/Booting worker with pid: (\d+)/, 5000, mark);
    await check(clients, added!, corral);
  } finally {
    await clients?.stop();
    await corral?.stop();
  }
}

describe('--rebalance', { concurrency: true }, () => {
  test('a worker added by TTIN gets its share of the open keep-alive connections; no request fails', async () => {
    await withOneWorkerThenTwo([], async (clients, added) => {
      // 20 connections over 2 workers: 10 each, and 10 % of that (1) tolerated over.
      const balanced = () => {
        const counts = clients.perWorker();
        return counts.size === 2 && [...counts.values()].every((n) => n >= 9 && n <= 11);
      };
      const ok = await holdsWithin(balanced, 10_000);
      assert.ok(ok, `connections per worker: ${JSON.stringify([...clients.perWorker()])}`);
      assert.ok(clients.perWorker().has(added), 'the new worker holds some');
      assert.ok(clients.closesSeen >= 9, `surplus connections were told to close (${clients.closesSeen})`);
      // Once balanced, it stays balanced: no churn of connections back and forth.
      const closes = clients.closesSeen;
      await sleep(1000);
      assert.ok(balanced(), `still balanced: ${JSON.stringify([...clients.perWorker()])}`);
      assert.ok(clients.closesSeen - closes <= 2, `few closes after balancing (${clients.closesSeen - closes})`);
    });
  });

  test('--no-rebalance: the connections stay where they are', async () => {
    await withOneWorkerThenTwo(['--no-rebalance'], async (clients, added, corral) => {
      const serving = await distinctPidsServing(corral.url, 2);
      assert.ok(serving.has(Number(added)), 'the new worker serves new connections');
      const before = clients.requests;
      const moved = await holdsWithin(() => clients.perWorker().has(added), 1500);
      assert.ok(clients.requests - before > CLIENTS, 'the clients kept sending requests');
      assert.equal(moved, false, `no connection moved: ${JSON.stringify([...clients.perWorker()])}`);
      assert.equal(clients.closesSeen, 0);
    });
  });
});
