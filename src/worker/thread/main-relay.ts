// One request between the main thread's real req/res and the app thread serving it. Worker process, main thread.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../log/logger.js';
import { failRequest } from '../handle-request.js';
import type { Relay } from './app-thread.js';
import { Tag, type Chunk, type RequestMessage, type ResponseHead, type ResponseMessage, type ToMain, type ToThread } from './protocol.js';

export type Post = (msg: ToThread, transfer?: ArrayBuffer[]) => void;

/**
 * The main thread keeps the socket and the HTTP parsing; this relays the request (head, then body
 * chunks) to the app thread and applies what the app did to the real response. Backpressure: the app
 * thread asks to pause the request body when its app does not read; response chunks are acknowledged
 * once the real socket took them, and the app thread's res.write() returns false past a window.
 */
export class MainRelay implements Relay {
  readonly id: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly startedAt = Date.now();
  readonly #log: Logger;
  #post: Post = () => undefined;
  #done: (relay: MainRelay) => void = () => undefined;
  #finished = false;
  #hasBody = false;
  /** Bytes written to `res` since it last drained, to acknowledge when it does. */
  #owed = 0;

  constructor(id: number, req: IncomingMessage, res: ServerResponse, log: Logger) {
    this.id = id;
    this.req = req;
    this.res = res;
    this.#log = log;
  }

  /** Whether the client is still there to answer (a request still waiting for a thread may not be). */
  get alive(): boolean {
    return !this.res.destroyed && !this.req.socket.destroyed;
  }

  /**
   * Sends the request to whoever runs it: an app thread of this worker, or one of another worker
   * (--share-threads), through `post`; `done` is called once that side is finished with it.
   */
  start(post: Post, done: (relay: MainRelay) => void): void {
    this.#post = post;
    this.#done = done;
    const req = this.req;
    this.#hasBody = hasBody(req.rawHeaders);
    const msg: RequestMessage = {
      t: Tag.REQUEST,
      id: this.id,
      method: req.method!,
      url: req.url!,
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      socket: socketInfo(req),
      complete: !this.#hasBody,
    };
    this.#post(msg);
    this.res.on('close', this.#onClose);
    if (this.#hasBody) {
      req.on('data', this.#onData);
      req.on('end', this.#onEnd);
    }
  }

  /** A message from the app thread about this request. */
  receive(msg: ToMain): void {
    if (this.#finished) return;
    switch (msg.t) {
      case Tag.RESPONSE:
        return this.#respond(msg);
      case Tag.PAUSE:
        this.req.pause();
        return;
      case Tag.RESUME:
        this.req.resume();
        return;
      case Tag.CLOSED:
        if (!this.res.writableEnded) this.res.destroy();
        return this.#finish();
      case Tag.INFO:
        if (this.res.headersSent || this.res.destroyed) return;
        if (msg.status === 100) this.res.writeContinue();
        else if (msg.status === 102) this.res.writeProcessing();
        else this.res.writeEarlyHints(msg.headers);
        return;
    }
  }

  /** The app thread is gone (crashed, or terminated while stuck): answer 500, or cut the response short. */
  fail(err: Error): void {
    if (this.#finished) return;
    this.#finish();
    const res = this.res;
    if (res.destroyed) return;
    if (!res.headersSent) for (const name of res.getHeaderNames()) res.removeHeader(name);
    failRequest(err, this.req, res, this.#log);
  }

  #respond(msg: ResponseMessage): void {
    const res = this.res;
    if (res.destroyed) {
      if (msg.end) this.#finish();
      return;
    }
    if (msg.head) applyHead(res, msg.head);
    if (msg.trailers) res.addTrailers(msg.trailers);
    const chunks = msg.chunks;
    if (msg.end) {
      if (chunks === undefined) res.end();
      else if (chunks.length === 1) res.end(chunks[0]);
      else {
        writeAll(res, chunks);
        res.end();
      }
      return this.#finish();
    }
    if (msg.flush && !res.headersSent) res.flushHeaders();
    if (chunks) this.#write(chunks);
  }

  #write(chunks: Chunk[]): void {
    let bytes = 0;
    for (const c of chunks) bytes += typeof c === 'string' ? c.length : c.byteLength;
    const waiting = this.#owed > 0;
    this.#owed += bytes;
    if (!writeAll(this.res, chunks) || waiting) {
      if (!waiting) this.res.once('drain', this.#onDrain);
      return;
    }
    this.#onDrain();
  }

  readonly #onDrain = (): void => {
    const bytes = this.#owed;
    this.#owed = 0;
    if (!this.#finished && bytes > 0) this.#post({ t: Tag.ACK, id: this.id, bytes });
  };

  readonly #onData = (chunk: Buffer): void => {
    // A copy: the parser's chunk is a view into the socket's read buffer, which must not be detached.
    const copy = new Uint8Array(chunk.byteLength);
    copy.set(chunk);
    this.#post({ t: Tag.BODY, id: this.id, chunk: copy }, [copy.buffer]);
  };

  readonly #onEnd = (): void => {
    this.#post({ t: Tag.BODY_END, id: this.id, rawTrailers: this.req.rawTrailers });
  };

  /** The real response closed: if the app thread was still at it, the client went away. */
  readonly #onClose = (): void => {
    if (this.#finished) return;
    this.#post({ t: Tag.ABORT, id: this.id });
  };

  /** The app thread is done with this request (it will hear nothing more about it). */
  #finish(): void {
    this.#finished = true;
    this.res.off('close', this.#onClose);
    this.res.off('drain', this.#onDrain);
    if (this.#hasBody) {
      this.req.off('data', this.#onData);
      this.req.off('end', this.#onEnd);
      this.req.resume(); // the app may have paused it; Node's server discards what is left
    }
    this.#done(this);
  }
}

function applyHead(res: ServerResponse, head: ResponseHead): void {
  res.statusCode = head.status;
  res.statusMessage = head.message;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) res.setHeader(h[i] as string, h[i + 1] as string | number | readonly string[]);
  if (!head.sendDate) res.sendDate = false;
}

/** Writes every chunk; false when the socket's buffer is full. */
function writeAll(res: ServerResponse, chunks: Chunk[]): boolean {
  let ok = true;
  for (const c of chunks) ok = res.write(c);
  return ok;
}

/** Whether a request has a body, from its raw headers (reading req.headers would build an object per request). */
function hasBody(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return true;
    if (name.length === 14 && name.toLowerCase() === 'content-length' && raw[i + 1]!.trim() !== '0') return true;
  }
  return false;
}

function socketInfo(req: IncomingMessage): RequestMessage['socket'] {
  const s = req.socket;
  return [s.remoteAddress, s.remotePort, s.remoteFamily, s.localAddress, s.localPort, (s as TLSSocket).encrypted ? 1 : 0];
}
