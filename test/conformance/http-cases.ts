// Conformance cases for HTTP/1.1 on one connection: methods, bodies both ways, 100-continue, keep-alive, pipelining. Test process only.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { RawConnection, within } from '../arbiter/support.ts';
import { assertWorkersLive, decodeChunked, type Case } from './case.ts';
import { ByteConnection, jsonOf, piecesOf, send, splitHead } from './client.ts';
import type { Server } from './servers.ts';

const TEN_MB = randomBytes(10 * 1024 * 1024);
const TEN_MB_SHA256 = createHash('sha256').update(TEN_MB).digest('hex');

function expectedChunks(n: number): string {
  return Array.from({ length: n }, (_, i) => `chunk ${i}\n`).join('');
}

async function postTenMb(base: string, framing: 'chunked' | 'content-length'): Promise<void> {
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
  if (framing === 'content-length') headers['content-length'] = TEN_MB.length;
  const reply = await send(base, '/sha256', { method: 'POST', headers, pieces: piecesOf(TEN_MB), timeoutMs: 20_000 });
  assert.equal(reply.status, 200, reply.body.toString());
  assert.deepEqual(jsonOf(reply), { sha256: TEN_MB_SHA256, bytes: TEN_MB.length });
}

/** Writes the three GETs in one packet, reads three responses in order, and checks every worker still answers. */
async function pipelineThree(server: Server, delays: number[], reuses: boolean): Promise<void> {
  const conn = await RawConnection.open(server.port);
  try {
    const paths = delays.map((ms, i) => `/path/${i + 1}?delay=${ms}`);
    conn.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`).join(''));
    const bodies: string[] = [];
    for (let i = 0; i < paths.length; i++) {
      const reply = await conn.readResponse(5000).catch((err: Error) => {
        throw new Error(`response ${i + 1} of 3 never came (answered so far: ${JSON.stringify(bodies)}): ${err.message}`);
      });
      assert.equal(reply.status, 200);
      bodies.push(reply.body);
    }
    assert.deepEqual(bodies, paths, 'each response answers its request, in the order sent');
    if (!reuses) await within(conn.closed, 3000, 'the server closes the connection after the last pipelined response');
  } finally {
    conn.destroy();
  }
  await assertWorkersLive(server);
}

export const HTTP_CASES: readonly Case[] = [
  {
    name: 'GET answers the status, body and content type',
    async run({ server }) {
      const reply = await send(server.base, '/hello');
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'hello world!');
      assert.match(reply.headers['content-type'] ?? '', /^text\/plain; charset=utf-8$/i);
      assert.equal(reply.headers['content-length'], '12');
    },
  },
  {
    name: 'HEAD sends the headers GET would, the same Content-Length, and no body',
    async run({ server }) {
      const got = await send(server.base, '/hello');
      const conn = await ByteConnection.open(server.port);
      try {
        conn.write('HEAD /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        const head = splitHead(await conn.untilClosed(5000));
        assert.equal(head.status, 200);
        assert.equal(head.rest, '', 'no body bytes after a HEAD response');
        assert.equal(head.headers['content-type'], got.headers['content-type']);
        assert.equal(head.headers['content-length'], got.headers['content-length'], 'HEAD Content-Length matches GET');
      } finally {
        conn.destroy();
      }
    },
  },
  {
    name: 'POST 10 MB in 64 KB pieces with chunked transfer-encoding: the app hashes exactly what was sent',
    run: ({ server }) => postTenMb(server.base, 'chunked'),
  },
  {
    name: 'POST 10 MB in 64 KB pieces with Content-Length: the app hashes exactly what was sent',
    run: ({ server }) => postTenMb(server.base, 'content-length'),
  },
  {
    name: 'a chunked response of 100 pieces arrives whole and in order',
    async run({ server }) {
      const conn = await ByteConnection.open(server.port);
      try {
        conn.write('GET /chunks?n=100 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        const raw = await conn.untilClosed(10_000);
        const head = splitHead(raw);
        assert.equal(head.status, 200);
        assert.equal(head.headers['transfer-encoding'], 'chunked');
        const { body } = decodeChunked(Buffer.from(head.rest, 'latin1'));
        assert.equal(body.toString(), expectedChunks(100));
      } finally {
        conn.destroy();
      }
    },
  },
  {
    name: 'Expect: 100-continue gets "100 Continue" before the body is sent, then the final response',
    async run({ server }) {
      const body = TEN_MB.subarray(0, 256 * 1024);
      const conn = await ByteConnection.open(server.port);
      try {
        conn.write(
          `POST /sha256 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n` +
            'Expect: 100-continue\r\nConnection: close\r\n\r\n',
        );
        await conn.until('\r\n\r\n', 5000);
        assert.match(conn.text, /^HTTP\/1\.1 100 Continue\r\n\r\n$/, 'the first thing the server sends is 100 Continue');
        conn.write(body);
        const final = splitHead((await conn.untilClosed(5000)).slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
        assert.equal(final.status, 200);
        assert.deepEqual(JSON.parse(final.rest), { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length });
      } finally {
        conn.destroy();
      }
    },
  },
  {
    name: 'three requests in a row: reused connection (async, thread) or Connection: close after each (sync)',
    async run({ server, spec }) {
      if (spec.reusesConnections) {
        const conn = await RawConnection.open(server.port);
        try {
          for (const n of [1, 2, 3]) {
            const reply = await conn.request(`/path/keep-${n}`);
            assert.equal(reply.body, `/path/keep-${n}`);
            assert.notEqual(reply.headers.connection, 'close', `response ${n} keeps the connection`);
          }
          assert.equal(conn.isClosed, false, 'the connection is still open after three requests');
        } finally {
          conn.destroy();
        }
        return;
      }
      for (const n of [1, 2, 3]) {
        const conn = await RawConnection.open(server.port);
        try {
          const reply = await conn.request(`/path/close-${n}`);
          assert.equal(reply.body, `/path/close-${n}`);
          assert.equal(reply.headers.connection, 'close', `response ${n} says Connection: close`);
          await within(conn.closed, 3000, `the server closes connection ${n} after its response`);
          assert.equal(conn.error, null, 'closed cleanly, not reset');
        } finally {
          conn.destroy();
        }
      }
    },
  },
];

/**
 * Last on each server: a worker that mishandles pipelining can be left unable to answer anything (sync
 * did, before it answered pipelined requests in order), and a shared server must not turn that into
 * failures of unrelated cases.
 */
export const PIPELINING_CASES: readonly Case[] = [
  {
    name: 'a pipelined POST with a body, a chunked POST and a GET in one packet: all answered, in order',
    run: async ({ server, spec }) => {
      const conn = await RawConnection.open(server.port);
      try {
        conn.write(
          'POST /path/1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello' +
            'POST /path/2 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nworld\r\n0\r\n\r\n' +
            'GET /path/3 HTTP/1.1\r\nHost: localhost\r\n\r\n',
        );
        const bodies: string[] = [];
        for (let i = 0; i < 3; i++) {
          const reply = await conn.readResponse(5000).catch((err: Error) => {
            throw new Error(`response ${i + 1} of 3 never came (answered so far: ${JSON.stringify(bodies)}): ${err.message}`);
          });
          assert.equal(reply.status, 200);
          bodies.push(reply.body);
        }
        assert.deepEqual(bodies, ['/path/1', '/path/2', '/path/3']);
        if (!spec.reusesConnections) await within(conn.closed, 3000, 'the server closes the connection after the last pipelined response');
      } finally {
        conn.destroy();
      }
      await assertWorkersLive(server);
    },
  },
  {
    name: 'a malformed request pipelined behind a good one: the good one is answered, then 400 and the close',
    run: async ({ server, spec }) => {
      const conn = await RawConnection.open(server.port);
      try {
        conn.write('GET /path/1?delay=50 HTTP/1.1\r\nHost: localhost\r\n\r\nNOT HTTP AT ALL\r\n\r\n');
        const first = await conn.readResponse(5000);
        assert.equal(first.status, 200);
        assert.equal(first.body, '/path/1?delay=50', 'the good request is answered, not lost to the bad one behind it');
        if (spec.reusesConnections || !conn.isClosed) {
          // A sync worker may close after its last response instead: the bad request was not one of its own.
          const second = await conn.readResponse(5000).catch(() => null);
          if (second !== null || spec.reusesConnections) {
            assert.equal(second?.status, 400);
            assert.equal(second.headers.connection, 'close');
          }
        }
        await within(conn.closed, 3000, 'the server closes the connection after the 400');
      } finally {
        conn.destroy();
      }
      await assertWorkersLive(server);
    },
  },
  {
    name: 'a chunked body with a malformed chunk size: 400 before anything was answered, and the close',
    run: async ({ server }) => {
      const conn = await RawConnection.open(server.port);
      try {
        conn.write('POST /sha256 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
        const reply = await conn.readResponse(5000);
        assert.equal(reply.status, 400);
        assert.equal(reply.headers.connection, 'close');
        await within(conn.closed, 3000, 'the server closes the connection');
      } finally {
        conn.destroy();
      }
      await assertWorkersLive(server);
    },
  },
  {
    name: 'three pipelined requests in one packet, the first slowest: all answered, in order',
    run: ({ server, spec }) => pipelineThree(server, [60, 30, 0], spec.reusesConnections),
  },
  {
    name: 'three pipelined requests in one packet, answered at once: all answered, in order',
    run: ({ server, spec }) => pipelineThree(server, [0, 0, 0], spec.reusesConnections),
  },
];
