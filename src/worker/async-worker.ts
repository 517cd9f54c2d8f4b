// The `async` worker class: node:http on the inherited listeners, many connections per event loop. Worker process only.
import http from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';
import type { Config } from '../config/registry.js';
import type { Logger } from '../log/logger.js';
import { guardListener, type AppListener } from './handle-request.js';
import type { InflightRequest } from './watchdog.js';

const START = Symbol('corral.start');
type TimedResponse = http.ServerResponse & { [START]?: number };

/** A listening socket handle received from the master. */
export type ListenHandle = object;

export interface WorkerClassOptions {
  config: Config;
  log: Logger;
  listener: AppListener;
  /** Asks the master to send the listening sockets again (after this worker stopped accepting). */
  requestListeners: () => void;
  /** A listening socket could not be listened on (the worker cannot serve). */
  onListenError: (err: NodeJS.ErrnoException) => void;
}

/**
 * Serves every request on the event loop. Accepting is separate from HTTP: one net.Server per
 * listening socket accepts and hands each connection to a single http.Server. That split lets a worker
 * at --worker-connections stop accepting (closing only its copy of the listening socket, so the other
 * workers keep accepting) without touching the connections it already serves.
 */
export class AsyncWorker {
  readonly #opts: WorkerClassOptions;
  readonly #server: http.Server;
  readonly #acceptors = new Set<net.Server>();
  #connections = 0;
  #paused = false;
  #lastPauseWarning = 0;
  #draining = false;
  #drained: (() => void) | null = null;
  readonly #inflight = new Set<http.ServerResponse>();

  constructor(opts: WorkerClassOptions) {
    this.#opts = opts;
    const { keepAlive } = opts.config;
    this.#server = http.createServer({ keepAliveTimeout: keepAlive * 1000 });
    const guarded = guardListener(opts.listener, opts.log);
    const closeAfter = keepAlive <= 0;
    this.#server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (closeAfter || this.#draining) res.shouldKeepAlive = false;
      (res as TimedResponse)[START] = Date.now();
      this.#inflight.add(res);
      res.once('close', () => this.#finished(res));
      guarded(req, res);
    });
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
    // The http.Server never listens itself (the acceptors do), but Node starts tracking its
    // connections on 'listening': without it, closeIdleConnections() and the headers/request
    // timeouts that stop slow clients (slowloris) do nothing.
    this.#server.emit('listening');
  }

  /** Starts accepting on a listening socket from the master. */
  listen(handle: ListenHandle): void {
    if (this.#draining) return;
    const acceptor = net.createServer({ noDelay: true });
    acceptor.on('connection', (socket: Socket) => this.#accepted(socket));
    acceptor.on('error', (err: NodeJS.ErrnoException) => {
      if (acceptor.listening) this.#opts.log.error(`Accept error: ${err.message}`);
      else this.#opts.onListenError(err);
    });
    acceptor.listen(handle as net.ListenOptions, this.#opts.config.backlog);
    this.#acceptors.add(acceptor);
    this.#paused = false;
  }

  #accepted(socket: Socket): void {
    this.#connections++;
    socket.once('close', () => this.#closed());
    if (this.#connections >= this.#opts.config.workerConnections) this.#pause();
    this.#server.emit('connection', socket);
  }

  #closed(): void {
    this.#connections--;
    if (this.#draining) {
      if (this.#connections === 0) this.#drained?.();
    } else if (this.#paused && this.#connections < this.#opts.config.workerConnections) {
      this.#opts.requestListeners();
      this.#paused = false;
    }
  }

  #pause(): void {
    const now = Date.now();
    // Once a minute at most: a worker at its limit under steady load would otherwise flood the log.
    if (now - this.#lastPauseWarning > 60_000) {
      this.#lastPauseWarning = now;
      this.#opts.log.warning(
        `Worker at --worker-connections (${this.#opts.config.workerConnections}); not accepting until a connection closes`,
      );
    }
    this.#paused = true;
    this.#closeAcceptors();
  }

  #closeAcceptors(): void {
    for (const a of this.#acceptors) a.close();
    this.#acceptors.clear();
  }

  #finished(res: http.ServerResponse): void {
    this.#inflight.delete(res);
    // A keep-alive connection whose last response just ended is idle now: close it while draining.
    if (this.#draining) setImmediate(() => this.#server.closeIdleConnections());
  }

  /** Malformed requests get their 4xx from Node's parser; the worker logs and carries on. */
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
    this.#closeAcceptors();
    for (const res of this.#inflight) if (!res.headersSent) res.shouldKeepAlive = false;
    this.#server.closeIdleConnections();
    if (this.#connections === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  /** The requests this worker is serving now, oldest first (for the watchdog's report). */
  inflight(): InflightRequest[] {
    const now = Date.now();
    return [...this.#inflight].map((res) => ({
      method: res.req.method ?? '?',
      url: res.req.url ?? '?',
      ageMs: now - ((res as TimedResponse)[START] ?? now),
    }));
  }

  get connections(): number {
    return this.#connections;
  }
}
