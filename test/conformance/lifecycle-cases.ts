// Conformance cases for clients that leave, read slowly, or hit a failing handler: the worker lives and the app is told. Test process only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { assertWorkersLive, type Case } from './case.ts';
import { ByteConnection, eventsUntil, newId, send, splitHead, type AppEvent } from './client.ts';

const has = (name: string) => (events: AppEvent[]) => events.some((e) => e.event === name);
const find = (events: AppEvent[], name: string) => events.find((e) => e.event === name);

/** The app learnt the client left before the response finished: req/res 'close' (node) or request.signal 'abort' (Fetch). */
async function assertToldClientLeft(base: string, id: string, app: 'node' | 'fetch', alsoCancelled: boolean): Promise<number> {
  if (app === 'node') {
    const events = await eventsUntil(base, id, (e) => has('res-close')(e) && has('req-close')(e));
    assert.equal(find(events, 'res-close')!.responseFinished, false, "res 'close' came before the response finished");
    assert.equal(find(events, 'req-close')!.responseFinished, false, "req 'close' came before the response finished");
    return find(events, 'start')!.pid;
  }
  const done = (e: AppEvent[]) => has('abort')(e) && (!alsoCancelled || has('body-cancel')(e));
  const events = await eventsUntil(base, id, done).catch(async (err: Error) => {
    throw new Error(`request.signal never fired 'abort'${alsoCancelled ? ' or the body was not cancelled' : ''}: ${err.message}`);
  });
  assert.equal(find(events, 'abort')!.responseFinished, false, "'abort' came before the response finished");
  return find(events, 'start')!.pid;
}

interface SlowRead {
  status: number;
  headers: Record<string, string>;
  bodyBytes: number;
  /** The first byte of a 64 KiB block that did not carry its block number (mod 251), or -1. */
  badBlock: number;
}

/** GETs `path`, reads only the first packet, calls `stalled` while reading nothing, then reads `stopAfter` body bytes and hangs up. */
function readSlowly(
  port: number,
  path: string,
  stalled: (headers: Record<string, string>) => Promise<void>,
  stopAfter: number,
  timeoutMs: number,
): Promise<SlowRead> {
  return new Promise((resolve, reject) => {
    const result: SlowRead = { status: 0, headers: {}, bodyBytes: 0, badBlock: -1 };
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    const timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms reading ${path} (${result.bodyBytes} body bytes so far)`));
      socket.destroy();
    }, timeoutMs);
    socket.once('close', () => clearTimeout(timer));
    let head: ReturnType<typeof splitHead> | null = null;
    let pending = Buffer.alloc(0);
    const count = (chunk: Buffer) => {
      for (let off = (65536 - (result.bodyBytes % 65536)) % 65536; off < chunk.length; off += 65536) {
        const block = (result.bodyBytes + off) / 65536;
        if (chunk[off] !== block % 251 && result.badBlock < 0) result.badBlock = block;
      }
      result.bodyBytes += chunk.length;
      if (result.bodyBytes >= stopAfter) socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      if (head) return count(chunk);
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = splitHead(pending.subarray(0, end + 4).toString('latin1'));
      Object.assign(result, { status: head.status, headers: head.headers });
      count(pending.subarray(end + 4));
      socket.pause();
      stalled(head.headers).then(() => socket.resume(), (err: unknown) => {
        socket.destroy();
        reject(err);
      });
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(result));
  });
}

function rssKbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

const BIG_MB = 200;
/** Enough to see the stream resume in order after the stall; all 200 MB would only slow the suite down. */
const READ_MB = 50;
const GROWTH_LIMIT_KB = 150 * 1024;

export const LIFECYCLE_CASES: readonly Case[] = [
  {
    name: 'a client that leaves mid-request (half its declared body sent): the app is told, the worker lives',
    async run({ server, app }) {
      const id = newId('mid-request');
      const conn = await ByteConnection.open(server.port);
      try {
        conn.write(`POST /upload?id=${id} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
        conn.write(Buffer.alloc(512 * 1024, 1));
        await eventsUntil(server.base, id, has('start'));
      } finally {
        conn.destroy();
      }
      const pid = await assertToldClientLeft(server.base, id, app, false);
      await assertWorkersLive(server, pid);
    },
  },
  {
    name: 'a client that leaves mid-response (after the first chunk of a slow stream): the app is told, the worker lives',
    async run({ server, app }) {
      const id = newId('mid-response');
      const conn = await ByteConnection.open(server.port);
      try {
        conn.write(`GET /slow-chunks?id=${id} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
        await conn.until('chunk 0\n', 5000);
      } finally {
        conn.destroy();
      }
      const pid = await assertToldClientLeft(server.base, id, app, true);
      await assertWorkersLive(server, pid);
    },
  },
  {
    name: `a client that reads nothing for 3 s of a ${BIG_MB} MB response: the worker's memory stays flat (backpressure), then the stream resumes in order`,
    async run({ server }) {
      let growth = 0;
      let servedBy = 0;
      const read = await readSlowly(
        server.port,
        `/big?mb=${BIG_MB}`,
        async (headers) => {
          servedBy = Number(headers['x-pid']);
          const baseline = Number(headers['x-rss-kb']);
          assert.ok(servedBy > 0 && baseline > 0, `the app reported its pid and RSS: ${JSON.stringify(headers)}`);
          for (let waited = 0; waited < 3000; waited += 250) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            growth = Math.max(growth, rssKbOf(servedBy) - baseline);
          }
        },
        READ_MB * 1024 * 1024,
        30_000,
      );
      assert.equal(read.status, 200);
      assert.ok(growth < GROWTH_LIMIT_KB, `worker ${servedBy} grew by ${Math.round(growth / 1024)} MB while the client read nothing (limit ${GROWTH_LIMIT_KB / 1024} MB)`);
      assert.equal(read.headers['content-length'], String(BIG_MB * 1024 * 1024));
      assert.ok(read.bodyBytes >= READ_MB * 1024 * 1024, `the stream resumed after the stall (${read.bodyBytes} bytes read)`);
      assert.equal(read.badBlock, -1, `block ${read.badBlock} arrived out of place`);
      await assertWorkersLive(server, servedBy);
    },
  },
  {
    name: 'a handler that throws answers 500 and the worker lives',
    async run({ server }) {
      const reply = await send(server.base, '/throw');
      assert.equal(reply.status, 500);
      assert.equal(reply.body.toString(), 'Internal Server Error\n');
      await assertWorkersLive(server, reply.headers['x-pid'] ? Number(reply.headers['x-pid']) : undefined);
    },
  },
  {
    name: 'a handler whose promise rejects answers 500 and the worker lives',
    apps: ['node'],
    async run({ server }) {
      const reply = await send(server.base, '/reject');
      assert.equal(reply.status, 500);
      await assertWorkersLive(server, Number(reply.headers['x-pid']));
    },
  },
];
