// The HTTP side every worker class shares: one http.Server fed by the acceptors, limits, graceful stop. Worker process only.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/registry.js';
import type { Logger } from '../log/logger.js';
import { Acceptors, type ListenHandle } from './acceptors.js';
import { guardListener, type AppListener } from './handle-request.js';
import type { InflightRequest } from './watchdog.js';

export interface WorkerClassOptions {
  config: Config;
  log: Logger;
  listener: AppListener;
  /** Asks the master to send the listening sockets again. */
  requestListeners: () => void;
  /** A listening socket could not be listened on (the worker cannot serve). */
  onListenError: (err: NodeJS.ErrnoException) => void;
}

/** What a worker class decides; the rest is common. */
export interface ClassPolicy {
  /** The most connections this worker holds at once; past it, it stops accepting. */
  maxConnections: number;
  /** Wraps the guarded app listener (e.g. to run one request at a time). */
  wrap?: (listener: AppListener) => AppListener;
  /** Says why accepting stopped, when that is worth a warning. */
  pauseWarning?: string;
}

/** What the worker process needs from any worker class. */
export interface WorkerServer {
  addListener(index: number, handle: ListenHandle): void;
  stop(): Promise<void>;
  inflight(): InflightRequest[];
}

/**
 * Accepting is separate from HTTP: the acceptors accept on this worker's copies of the listening
 * sockets and hand each connection to one http.Server, so a worker can stop and resume accepting
 * without touching the connections it serves.
 */
export class HttpWorker implements WorkerServer {
  readonly #opts: WorkerClassOptions;
  readonly #policy: ClassPolicy;
  readonly #server: http.Server;
  readonly #acceptors: Acceptors;
  /** Responses in progress and when each request arrived (kept here, not on Node's objects, to leave their shape alone). */
  readonly #inflight = new Map<http.ServerResponse, number>();
  #connections = 0;
  #lastPauseWarning = 0;
  #draining = false;
  #drained: (() => void) | null = null;

  constructor(opts: WorkerClassOptions, policy: ClassPolicy) {
    this.#opts = opts;
    this.#policy = policy;
    const { keepAlive } = opts.config;
    this.#server = http.createServer({ keepAliveTimeout: keepAlive * 1000 });
    const guarded = guardListener(opts.listener, opts.log);
    const listener = policy.wrap ? policy.wrap(guarded) : guarded;
    const closeAfter = keepAlive <= 0;
    this.#server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (closeAfter || this.#draining) res.shouldKeepAlive = false;
      this.#inflight.set(res, Date.now());
      res.once('close', () => this.#finished(res));
      listener(req, res);
    });
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
    // The http.Server never listens itself (the acceptors do), but Node starts tracking its
    // connections on 'listening': without it, closeIdleConnections() and the headers/request
    // timeouts that stop slow clients (slowloris) do nothing.
    this.#server.emit('listening');
    this.#acceptors = new Acceptors({
      backlog: opts.config.backlog,
      log: opts.log,
      onConnection: (socket) => this.#accepted(socket),
      requestListeners: opts.requestListeners,
      onListenError: opts.onListenError,
    });
  }

  addListener(index: number, handle: ListenHandle): void {
    this.#acceptors.add(index, handle);
  }

  #accepted(socket: Socket): void {
    this.#connections++;
    socket.once('close', () => this.#closed());
    if (this.#connections >= this.#policy.maxConnections) this.#pause();
    this.#server.emit('connection', socket);
  }

  #closed(): void {
    this.#connections--;
    if (this.#draining) {
      if (this.#connections === 0) this.#drained?.();
    } else if (this.#acceptors.paused && this.#connections < this.#policy.maxConnections) {
      this.#acceptors.resume();
    }
  }

  #pause(): void {
    const now = Date.now();
    // Once a minute at most: a worker at its limit under steady load would otherwise flood the log.
    if (this.#policy.pauseWarning && now - this.#lastPauseWarning > 60_000) {
      this.#lastPauseWarning = now;
      this.#opts.log.warning(this.#policy.pauseWarning);
    }
    this.#acceptors.pause();
  }

  #finished(res: http.ServerResponse): void {
    this.#inflight.delete(res);
    // A keep-alive connection whose last response just ended is idle now: close it while draining.
    if (this.#draining) setImmediate(() => this.#server.closeIdleConnections());
  }

  /** Malformed requests get their 4xx; the worker logs and carries on. */
  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    this.#opts.log.debug(`Bad request from ${socket.remoteAddress ?? 'client'}: ${err.code ?? err.message}`);
    if (!socket.writable || (err as { bytesParsed?: number }).bytesParsed === undefined) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  /**
   * Graceful stop: stop accepting, close idle keep-alive connections, answer requests still
   * arriving with `Connection: close`, and resolve once every connection has closed.
   */
  stop(): Promise<void> {
    this.#draining = true;
    this.#acceptors.close();
    for (const res of this.#inflight.keys()) if (!res.headersSent) res.shouldKeepAlive = false;
    this.#server.closeIdleConnections();
    if (this.#connections === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  /** The requests this worker is serving now (for the watchdog's report). */
  inflight(): InflightRequest[] {
    const now = Date.now();
    return [...this.#inflight].map(([res, start]) => ({
      method: res.req.method ?? '?',
      url: res.req.url ?? '?',
      ageMs: now - start,
    }));
  }
}
