// One request inside an app thread: feeds the body in, batches the response out to the main thread, with backpressure both ways. App thread only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortedError, createRequest, finishBody } from './bridge-request.js';
import { createResponse, drainResponse, headerList, type ResponseRelay } from './bridge-response.js';
import { Tag, type Chunk, type RequestMessage, type ResponseMessage, type ToMain, type ToThread } from './protocol.js';
import { StubSocket } from './stub-socket.js';

export type Send = (msg: ToMain, transfer?: ArrayBuffer[]) => void;

/**
 * How many response bytes may be on their way to the main thread, unacknowledged, before the app's
 * res.write() returns false. The main thread acknowledges a batch once its socket took it.
 */
const WINDOW = 256 * 1024;

type ExchangeState = 'open' | 'ended' | 'closed';

/**
 * What the app does to its response within one turn of the event loop goes to the main thread as one
 * message (a whole small response — head, body, end — is one message).
 */
export class Exchange implements ResponseRelay {
  readonly id: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly #socket: StubSocket;
  readonly #send: Send;
  readonly #done: (exchange: Exchange) => void;
  #state: ExchangeState = 'open';
  #batch: ResponseMessage | null = null;
  #transfer: ArrayBuffer[] | null = null;
  #scheduled = false;
  #unacked = 0;
  #needDrain = false;
  #ending = false;
  #bodyPaused = false;

  constructor(msg: RequestMessage, send: Send, done: (exchange: Exchange) => void) {
    this.id = msg.id;
    this.#send = send;
    this.#done = done;
    this.#socket = new StubSocket(msg.socket);
    this.#socket.onDestroy = () => this.#closed();
    this.req = createRequest(this.#socket, msg, () => this.#resumeBody());
    this.res = createResponse(this.req, this.#socket, this);
  }

  /** A message from the main thread about this request. */
  receive(msg: ToThread): void {
    switch (msg.t) {
      case Tag.BODY:
        return this.#body(msg.chunk);
      case Tag.BODY_END:
        if (!this.req.complete) finishBody(this.req, msg.rawTrailers);
        return;
      case Tag.ACK:
        this.#unacked -= msg.bytes;
        if (this.#needDrain && this.#unacked < WINDOW) {
          this.#needDrain = false;
          drainResponse(this.res);
        }
        return;
      case Tag.ABORT:
        return this.#abort();
    }
  }

  head(res: ServerResponse): void {
    this.#open().head = { status: res.statusCode, message: res.statusMessage, headers: headerList(res), sendDate: res.sendDate };
  }

  chunk(chunk: unknown, encoding: BufferEncoding | undefined): boolean {
    const data = toChunk(chunk, encoding);
    if (data === null) return this.#writable();
    const batch = this.#open();
    (batch.chunks ??= []).push(data);
    if (typeof data === 'string') this.#unacked += data.length;
    else {
      this.#unacked += data.byteLength;
      (this.#transfer ??= []).push(data.buffer as ArrayBuffer);
    }
    return this.#writable();
  }

  #writable(): boolean {
    if (this.#unacked < WINDOW) return true;
    this.#needDrain = true;
    return false;
  }

  flushHeaders(): void {
    this.#open().flush = true;
  }

  info(status: 100 | 102 | 103, headers: Record<string, string | string[]>): void {
    if (this.#state === 'closed') return;
    this.flush(); // whatever the app did before goes first
    this.#send({ t: Tag.INFO, id: this.id, status, headers });
  }

  trailers(trailers: Array<[string, string]>): void {
    this.#open().trailers = trailers;
  }

  ending(inside: boolean): void {
    this.#ending = inside;
    if (!inside && this.#batch !== null) this.#schedule(); // end() threw: send what it did anyway
  }

  end(): void {
    this.#open().end = true;
    this.#state = 'ended';
    this.flush();
    // The main thread stops sending the body once the response ended: let a reader see its end.
    if (!this.req.complete) this.req.push(null);
    this.#done(this);
  }

  /** The batch being built for this turn, scheduled to go out at the end of it. */
  #open(): ResponseMessage {
    if (!this.#ending) this.#schedule();
    return (this.#batch ??= { t: Tag.RESPONSE, id: this.id });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (dirty.push(this) === 1) queueMicrotask(flushDirty);
  }

  /** Sends what the app did since the last message (end() sends at once, without waiting for the turn to end). */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#batch;
    if (batch === null || this.#state === 'closed') return;
    this.#batch = null;
    const transfer = this.#transfer;
    this.#transfer = null;
    this.#send(batch, transfer ?? undefined);
  }

  #body(chunk: Uint8Array): void {
    if (this.req.complete || this.req.destroyed) return;
    const accepted = this.req.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (accepted || this.#bodyPaused) return;
    this.#bodyPaused = true;
    this.#send({ t: Tag.PAUSE, id: this.id });
  }

  #resumeBody(): void {
    if (!this.#bodyPaused) return;
    this.#bodyPaused = false;
    if (this.#state === 'open') this.#send({ t: Tag.RESUME, id: this.id });
  }

  /** The client went away: the app's request and response close as they would on a real server. */
  #abort(): void {
    if (this.#state !== 'open') return;
    // The socket first: a request destroyed while its socket lives would destroy that with an error.
    this.#socket.destroy();
    this.req.destroy(abortedError());
  }

  /** The response was destroyed (by the app, or by #abort) before it ended. */
  #closed(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#batch = null;
    this.#transfer = null;
    this.#send({ t: Tag.CLOSED, id: this.id });
    this.#done(this);
  }
}

/** Exchanges with a batch to send at the end of this turn (one queued microtask for all of them). */
const dirty: Exchange[] = [];

function flushDirty(): void {
  for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
  dirty.length = 0;
}

/** A UTF-8 string as is (cloned on send), or a copy of the bytes that can be transferred. */
function toChunk(chunk: unknown, encoding: BufferEncoding | undefined): Chunk | null {
  if (typeof chunk === 'string') {
    if (chunk.length === 0) return null;
    if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') return chunk;
    return copy(Buffer.from(chunk, encoding));
  }
  if (ArrayBuffer.isView(chunk) && chunk.byteLength > 0) return copy(chunk);
  return null;
}

/**
 * The app may reuse its buffer, and a small Buffer is a view into a shared 8 KiB pool: neither may be
 * transferred, and cloning a view clones its whole ArrayBuffer. One exact copy, then transferred.
 */
function copy(view: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(view.byteLength);
  out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return out;
}
