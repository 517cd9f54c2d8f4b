// Builds the Fetch API Request a Fetch handler sees from a node:http request. Runs in the worker process.
import type { IncomingMessage } from 'node:http';

type RequestInitWithDuplex = RequestInit & { duplex?: 'half' };

/**
 * Whether the client went away before its response ended, as an AbortSignal made on first
 * use: handing Request an AbortSignal to follow costs undici ~40 µs per request (a WeakRef,
 * a FinalizationRegistry entry and a listener), and most handlers never read the signal.
 */
export class ClientLifetime {
  #controller: AbortController | undefined;
  #gone = false;
  /** Runs once if the client leaves; the response writer sets it to cancel the body. */
  onLeave: (() => void) | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#gone) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  get isGone(): boolean {
    return this.#gone;
  }

  /** The client disconnected before the response ended. */
  leave(): void {
    this.#gone = true;
    this.#controller?.abort();
    this.onLeave?.();
  }
}

const LIFETIME = Symbol('corral.clientLifetime');

type ServerRequest = Request & { [LIFETIME]: ClientLifetime };
type ServerRequestClass = new (url: string, init: RequestInit, lifetime: ClientLifetime) => ServerRequest;

let serverRequest: ServerRequestClass | undefined;

/**
 * A Request whose `signal` is the client's lifetime, and so is its clones'. Only a Request
 * re-made with `new Request(request)` gets undici's own signal, which never aborts.
 *
 * Made on first use, not when this module loads: reading the global `Request` loads Node's
 * bundled undici (its fetch, its web streams, zlib), which a worker serving a Node listener app
 * never needs; running that code also leaves Node's shared internals (EventEmitter, timers) with
 * more object shapes in their inline caches (see "What a request costs" in docs/architecture.md).
 */
function serverRequestClass(): ServerRequestClass {
  if (serverRequest) return serverRequest;
  class Made extends Request {
    [LIFETIME]: ClientLifetime;

    constructor(url: string, init: RequestInit, lifetime: ClientLifetime) {
      super(url, init);
      this[LIFETIME] = lifetime;
    }
  }
  const cloneRequest = Request.prototype.clone;
  // Outside the class body because TypeScript declares Request's `signal` and `clone` as
  // properties, which a class may not override with an accessor or a method.
  Object.defineProperties(Made.prototype, {
    signal: {
      get(this: ServerRequest): AbortSignal {
        return this[LIFETIME].signal;
      },
      configurable: true,
    },
    clone: {
      // undici's clone() follows only signals it made itself, so the copy shares ours.
      value: function clone(this: ServerRequest): Request {
        const copy = cloneRequest.call(this) as ServerRequest;
        Object.setPrototypeOf(copy, Made.prototype);
        copy[LIFETIME] = this[LIFETIME];
        return copy;
      },
      configurable: true,
      writable: true,
    },
  });
  serverRequest = Made;
  return Made;
}

/** The Request for `req`: absolute URL, every header (repeats too), and a streamed body. */
export function toRequest(req: IncomingMessage, lifetime: ClientLifetime): Request {
  const method = req.method ?? 'GET';
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const init: RequestInitWithDuplex = { method, headers };
  if (method !== 'GET' && method !== 'HEAD' && hasBody(req)) {
    init.body = bodyStream(req);
    init.duplex = 'half';
  }
  const ServerRequest = serverRequestClass();
  try {
    return new ServerRequest(requestUrl(req, req.headers.host), init, lifetime);
  } catch (err) {
    // A Host header that is not a valid authority is the client's mistake, not the app's:
    // fall back to the address the request arrived on rather than failing it.
    if (req.headers.host === undefined) throw err;
    return new ServerRequest(requestUrl(req, undefined), init, lifetime);
  }
}

/** Lets go of request bodies still being read: see releaseBody. */
const releasers = new WeakMap<IncomingMessage, () => void>();

/**
 * The request body as a web stream that reads `req` only when the app pulls. Unlike
 * Readable.toWeb, which starts reading at once, it leaves a body the app never reads untouched, so
 * Node discards it after the response and the keep-alive connection serves its next request.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let detach = (): void => undefined;
  let fail = (_err: Error): void => undefined;
  releasers.set(req, () => {
    fail(new Error('The response was sent before the request body was read'));
    if (!req.readableEnded) req.resume(); // nothing listens for data: Node discards the rest
  });
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          const settle = (act: () => void): void => {
            detach();
            act();
            resolve();
          };
          const onReadable = (): void => {
            const chunk = req.read() as Buffer | null;
            if (chunk !== null) settle(() => controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
          };
          const onEnd = (): void => settle(() => controller.close());
          const onError = (err: Error): void => settle(() => controller.error(err));
          const onClose = (): void => {
            if (!req.readableEnded) onError(new Error('The client went away before the request body ended'));
          };
          detach = () => {
            req.off('readable', onReadable);
            req.off('end', onEnd);
            req.off('error', onError);
            req.off('close', onClose);
            detach = () => undefined;
            fail = () => undefined;
          };
          fail = onError;
          if (req.readableEnded) return settle(() => controller.close());
          if (req.destroyed) return onClose();
          req.on('readable', onReadable);
          req.on('end', onEnd);
          req.on('error', onError);
          req.on('close', onClose);
          onReadable();
        });
      },
      cancel() {
        detach();
        req.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The response is finished: a body the app did not read to the end is discarded (a read still
 * waiting fails), so the connection can carry the next request.
 */
export function releaseBody(req: IncomingMessage): void {
  releasers.get(req)?.();
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function requestUrl(req: IncomingMessage, host: string | undefined): string {
  const url = req.url ?? '/';
  if (url.startsWith('http://') || url.startsWith('https://')) return url; // absolute-form (a proxy request)
  const scheme = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  const authority = host ?? localAuthority(req);
  return `${scheme}://${authority}${url.startsWith('/') ? url : `/${url}`}`;
}

function localAuthority(req: IncomingMessage): string {
  const { localAddress, localPort } = req.socket;
  if (localAddress === undefined) return 'localhost';
  return localAddress.includes(':') ? `[${localAddress}]:${localPort}` : `${localAddress}:${localPort}`;
}
