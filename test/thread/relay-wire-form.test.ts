// The flat wire form of REQUEST and RESPONSE between the main thread and an app thread: every shape
// a message can take comes back as it went, through a real structured clone (a MessageChannel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import {
  requestFromWire, requestToWire, responseFromWire, responseToWire, Tag,
  type RequestMessage, type RequestWire, type ResponseMessage, type ResponseWire,
} from '../../src/worker/thread/protocol.ts';

/** Posts `value` across a real MessageChannel (transferring `transfer`) and reads it back. */
function cross<T>(value: T, transfer: ArrayBuffer[] = []): T {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(value, transfer);
    const got = receiveMessageOnPort(port2);
    assert.ok(got, 'the message arrived');
    return got.message as T;
  } finally {
    port1.close();
    port2.close();
  }
}

test('a request, with and without a body, crosses as it was', () => {
  for (const complete of [true, false]) {
    const m: RequestMessage = {
      t: Tag.REQUEST,
      id: 7,
      method: 'POST',
      url: '/a?b=1',
      httpVersion: '1.1',
      rawHeaders: ['Host', 'x', 'Content-Length', '3'],
      socket: ['127.0.0.1', 50000, 'IPv4', '127.0.0.1', 8000, 0],
      complete,
    };
    const wire = cross(requestToWire(m));
    assert.ok(Array.isArray(wire), 'the wire form is an array');
    assert.deepEqual(requestFromWire(wire as RequestWire), m);
  }
});

test('every shape of a response batch crosses as it was, absent parts staying absent', () => {
  const bytes = new Uint8Array([104, 105]);
  const cases: ResponseMessage[] = [
    // A whole small response: head, body, end.
    { t: Tag.RESPONSE, id: 1, head: { status: 200, message: 'OK', headers: ['content-length', 2], sendDate: true }, chunks: ['hi'], end: true },
    // Headers flushed before any body, without the Date header, with a repeated header.
    { t: Tag.RESPONSE, id: 2, head: { status: 201, message: 'Created', headers: ['set-cookie', ['a=1', 'b=2']], sendDate: false }, flush: true },
    // A chunk in the middle of a streamed response.
    { t: Tag.RESPONSE, id: 3, chunks: ['more', 'and more'] },
    // Trailers, then the end, with nothing else.
    { t: Tag.RESPONSE, id: 4, trailers: [['x-checksum', 'abc']], end: true },
    { t: Tag.RESPONSE, id: 5, end: true },
    // A status without a reason phrase.
    { t: Tag.RESPONSE, id: 6, head: { status: 204, message: '', headers: [], sendDate: true }, end: true },
  ];
  for (const m of cases) {
    const wire = cross(responseToWire(m));
    assert.ok(Array.isArray(wire), 'the wire form is an array');
    assert.deepEqual(responseFromWire(wire as ResponseWire), m);
  }
  // Bytes the app wrote are transferred, not copied, wherever they sit in the array.
  const m: ResponseMessage = { t: Tag.RESPONSE, id: 8, chunks: [bytes], end: true };
  const back = responseFromWire(cross(responseToWire(m), [bytes.buffer as ArrayBuffer]));
  assert.equal(bytes.byteLength, 0, 'the sender no longer holds the bytes');
  assert.deepEqual([...(back.chunks![0] as Uint8Array)], [104, 105]);
  assert.equal(back.end, true);
});
