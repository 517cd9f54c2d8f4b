// The socket an app thread's request and response hang on: the client's addresses, and a sink for the bytes Node formats. App thread only.
import { EventEmitter } from 'node:events';
import type { RequestMessage } from './protocol.js';

type Callback = (err?: Error | null) => void;

/**
 * The real socket lives in the main thread. The app still reads `req.socket.remoteAddress` and the
 * like, and Node's ServerResponse writes its formatted bytes to a socket and waits for the write
 * callbacks before 'finish'; those bytes are dropped here, because the response is relayed at the API
 * level (head, chunks, end). Not a stream.Duplex: building and writing to one cost more than the rest
 * of a small request. This is the part of net.Socket that node:http and common middleware (on-finished,
 * ee-first) use, checked against Node 20 and 24.
 */
export class StubSocket extends EventEmitter {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  encrypted?: true;
  // It stays readable (nothing is ever read from it): on-finished, used by Express's body parsers,
  // takes a request whose socket is not readable for one that is over.
  readable = true;
  writable = true;
  destroyed = false;
  readonly readableHighWaterMark = 64 * 1024;
  readonly writableLength = 0;
  readonly writableCorked = 0;
  /** ServerResponse.end() resets this on its socket. */
  readonly _writableState = { corked: 0 };
  _paused = false;
  _httpMessage: unknown = null;
  timeout = 0;
  /** Called once when the app (or corral) destroys the socket, i.e. the response. */
  onDestroy: (() => void) | undefined;

  constructor(info: RequestMessage['socket']) {
    super();
    [this.remoteAddress, this.remotePort, this.remoteFamily, this.localAddress, this.localPort] = info;
    if (info[5] === 1) this.encrypted = true;
  }

  /** Drops the bytes; the callback runs on the next tick, as a socket's would after the write. */
  write(_data: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (cb) process.nextTick(cb);
    return !this.destroyed;
  }

  end(): this {
    this.writable = false;
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.readable = this.writable = false;
    const onDestroy = this.onDestroy;
    this.onDestroy = undefined;
    onDestroy?.();
    process.nextTick(emitClose, this);
    return this;
  }

  cork(): void {}

  uncork(): void {}

  resume(): this {
    return this;
  }

  pause(): this {
    return this;
  }

  address(): { address: string | undefined; port: number | undefined; family: string | undefined } {
    return { address: this.localAddress, port: this.localPort, family: this.remoteFamily };
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

function emitClose(socket: StubSocket): void {
  socket.emit('close', false);
}
