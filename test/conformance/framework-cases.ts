// Conformance cases for the framework fixture apps (test/fixtures/apps/): the shared route table under every worker class. Test process only.
import assert from 'node:assert/strict';
import { ByteConnection, jsonOf, send, splitHead } from './client.ts';
import { decodeChunked } from './case.ts';
import type { Server } from './servers.ts';

export const FRAMEWORKS = ['express', 'koa', 'fastify', 'hono'] as const;

export function frameworkApp(name: (typeof FRAMEWORKS)[number]): string {
  return `test/fixtures/apps/${name}.ts`;
}

export interface FrameworkCase {
  name: string;
  run(server: Server): Promise<void>;
}

export const FRAMEWORK_CASES: readonly FrameworkCase[] = [
  {
    name: 'GET /hello answers "hello world!"',
    async run(server) {
      const reply = await send(server.base, '/hello');
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'hello world!');
      assert.match(reply.headers['content-type'] ?? '', /^text\/plain/);
    },
  },
  {
    name: 'GET /users/:id?x=1 answers the parameter and query as JSON',
    async run(server) {
      const reply = await send(server.base, '/users/42?x=1');
      assert.equal(reply.status, 200);
      assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(jsonOf(reply), { id: '42', x: '1' });
    },
  },
  {
    name: 'POST /echo answers the JSON it was sent',
    async run(server) {
      const payload = { name: 'corral', list: [1, 2, 3], nested: { ok: true }, text: 'é ✓' };
      const body = Buffer.from(JSON.stringify(payload));
      const reply = await send(server.base, '/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
        pieces: [body],
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(jsonOf(reply), payload);
    },
  },
  {
    name: 'GET /cookie sets two cookies and x-corral-test: 1',
    async run(server) {
      const reply = await send(server.base, '/cookie');
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
      assert.equal(reply.headers['x-corral-test'], '1');
    },
  },
  {
    name: 'GET /stream answers 5 chunks, whole and in order',
    async run(server) {
      const conn = await ByteConnection.open(server.port);
      try {
        conn.write('GET /stream HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        const head = splitHead(await conn.untilClosed(5000));
        assert.equal(head.status, 200);
        assert.equal(head.headers['transfer-encoding'], 'chunked');
        const { body } = decodeChunked(Buffer.from(head.rest, 'latin1'));
        assert.equal(body.toString(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
      } finally {
        conn.destroy();
      }
    },
  },
];
