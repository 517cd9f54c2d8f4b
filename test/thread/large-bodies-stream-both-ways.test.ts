// Large request and response bodies stream through the thread relay intact, and a slow client holds the app thread back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { THREAD_APP, threadArgs } from './support.ts';

/** POSTs `body` in 64 KiB writes, honouring backpressure; resolves with the reply and when the last byte was handed to the socket. */
function upload(url: string, body: Buffer, pathname = '/upload', timeoutMs = 30_000): Promise<{ status: number; text: string; sentMs: number }> {
  const started = performance.now();
  let sentMs = -1;
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${pathname}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, sentMs }));
    });
    req.on('finish', () => (sentMs = performance.now() - started));
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`upload not answered within ${timeoutMs} ms`)));
    req.on('error', reject);
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const end = Math.min(offset + 64 * 1024, body.length);
        const more = req.write(body.subarray(offset, end));
        offset = end;
        if (!more) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** GETs `pathname`, not reading for `stallMs` after the first chunk; resolves with the whole body. */
function download(url: string, pathname: string, stallMs: number, timeoutMs = 30_000): Promise<{ status: number; body: Buffer; chunks: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}${pathname}`, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.once('data', () => {
        res.pause();
        setTimeout(() => res.resume(), stallMs);
      });
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), chunks: parts.length }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`download not done within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

describe('large bodies through app threads', () => {
  let corral: Corral;
  before(async () => {
    corral = await startCorral(threadArgs(THREAD_APP, 2), { timeoutMs: 40_000 });
  });
  after(async () => {
    await corral?.stop();
  });

  test('a 10 MB POST reaches the app byte for byte', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    const reply = await upload(corral.url, body);
    assert.equal(reply.status, 200, reply.text);
    const got = JSON.parse(reply.text) as { bytes: number; sha256: string };
    assert.deepEqual({ bytes: got.bytes, sha256: got.sha256 }, { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  });

  test('a 64 MB POST to an app that reads nothing for 1.5 s: the client is held back, then every byte arrives', async () => {
    const body = randomBytes(64 * 1024 * 1024);
    const reply = await upload(corral.url, body, '/late-upload?wait=1500');
    assert.equal(reply.status, 200, reply.text);
    const got = JSON.parse(reply.text) as { bytes: number; sha256: string; buffered: number };
    assert.deepEqual({ bytes: got.bytes, sha256: got.sha256 }, { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    // Held back: when the app started reading, its request held a bounded amount, not all that had
    // been sent, and the client could not finish sending before then. The thread's "pause" reaches the
    // main thread asynchronously, so on a loaded machine a few MB can be in flight before it lands
    // (4.4 MB seen at load average 20); buffering would show the whole 64 MB.
    assert.ok(got.buffered < 16 * 1024 * 1024, `${got.buffered} bytes were waiting in the thread`);
    assert.ok(reply.sentMs >= 1500, `the client finished sending after ${Math.round(reply.sentMs)} ms`);
  });

  test('a 32 MB response to a client that stalls: the app thread waits for drain, and every byte arrives', async () => {
    const { status, body } = await download(corral.url, '/big?mb=32', 1000);
    assert.equal(status, 200);
    const tail = body.subarray(32 * 1024 * 1024).toString();
    const m = /^\nwaits=(\d+)\n$/.exec(tail);
    assert.ok(m, `unexpected tail ${JSON.stringify(tail.slice(0, 80))}`);
    assert.equal(body.subarray(0, 32 * 1024 * 1024).every((b) => b === 0x78), true, 'the body is the app\'s bytes');
    // The relay does not buffer the body whole: the thread's res.write() returned false and it waited.
    assert.ok(Number(m[1]) > 0, 'res.write() in the thread never returned false');
  });

  test('a chunk the app writes reaches the client while the response is still open', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${corral.url}/first-then-wait`, { agent: false }, (res) => {
        res.setEncoding('utf8');
        res.once('data', (c: string) => {
          resolve(c);
          req.destroy();
        });
      });
      req.setTimeout(5000, () => req.destroy(new Error('the first chunk did not arrive within 5 s')));
      req.on('error', (err) => (err.message.includes('5 s') ? reject(err) : undefined));
    });
    assert.equal(first, 'first\n');
  });

  test('trailers set in the thread follow a chunked body', async () => {
    const trailers = await new Promise<{ body: string; trailers: http.IncomingHttpHeaders }>((resolve, reject) => {
      http.get(`${corral.url}/trailers`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ body, trailers: res.trailers }));
      }).on('error', reject);
    });
    assert.equal(trailers.body, 'with trailers');
    assert.equal(trailers.trailers['x-checksum'], 'abc123');
  });

  test('two uploads at once, one per thread, both intact', async () => {
    const bodies = [randomBytes(3 * 1024 * 1024), randomBytes(3 * 1024 * 1024)];
    const replies = await Promise.all(bodies.map((b) => upload(corral.url, b)));
    for (const [i, reply] of replies.entries()) {
      assert.equal(JSON.parse(reply.text).sha256, createHash('sha256').update(bodies[i]!).digest('hex'));
    }
  });
});
