// The HTTP side every worker class shares: one http.Server fed by the acceptors, limits, graceful stop. Worker process only.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/registry.js';
import type { Logger } from '../log/logger.js';
import { Acceptors, type ListenHandle } from './acceptors.js';
import { CLOCK_TICK_MS, coarseNow, tickEvery } from './coarse-clock.js';
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
  /** Tells the master how many connections this worker holds (for --rebalance). */
  reportConnections: (open: number) => void;
}

/** How often a stopping worker closes the keep-alive connections that have become idle. */
const IDLE_SWEEP_MS = 50;

/**
 * An idle keep-alive connection is closed this long after --keep-alive has passed, as Node does
 * (its socket timeout is keepAliveTimeout + 1 s): the response advertises `Keep-Alive: timeout=N`,
 * and a client that reuses its connection just before N must not meet the close (ECONNRESET).
 */
const KEEP_ALIVE_GRACE_MS = 1000;

/**
 * How often the keep-alive sweep looks at the open connections: a tenth of --keep-alive, between
 * 100 and 500 ms. An idle connection closes between --keep-alive + 1 s and that plus three periods.
 */
const keepAliveSweepMs = (keepAliveMs: number): number => Math.min(500, Math.max(100, keepAliveMs / 10));

/** How often, at most, a worker reports its connection count to the master. */
const REPORT_INTERVAL_MS = 100;

/**
 * A keep-alive connection idle this long (since its latest request arrived) may be closed to make
 * room for a new one when the worker is at --worker-connections; fresher ones are left alone, so a
 * client that is about to reuse its connection rarely meets the close.
 */
const RECLAIM_MIN_IDLE_MS = 1000;

/** How often a worker at --worker-connections with no idle connection looks for one again. */
const RECLAIM_POLL_MS = 100;

/** The warning of a worker that stops accepting at --worker-connections. */
export const atLimitWarning = (limit: number): string =>
  `Worker at --worker-connections (${limit}), every connection busy; not accepting until one closes or goes idle`;

/** What a worker class decides; the rest is common. */
export interface ClassPolicy {
  /** The most connections this worker holds at once; past it, it stops accepting. */
  maxConnections: number;
  /** Wraps the guarded app listener (e.g. to run one request at a time). */
  wrap?: (listener: AppListener) => AppListener;
  /** Says why accepting stopped, when that is worth a warning. */
  pauseWarning?: string;
  /**
   * The most time a client may take to send a whole request (headers and body; from when it
   * connected, for its first) before it gets a 408 and the connection closes. Unset: Node's own
   * limits (60 s for the headers, 300 s for the request, checked every 30 s).
   */
  requestDeadlineMs?: number;
}

/** How often Node checks the requests' deadlines when a class sets requestDeadlineMs. */
const DEADLINE_CHECK_MS = 1000;

/** What the worker process needs from any worker class. */
export interface WorkerServer {
  addListener(index: number, handle: ListenHandle): void;
  /** The master's balance limit (see src/arbiter/balancer.ts); null lifts it. */
  setBalanceLimit(limit: number | null): void;
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
  /**
   * The open client connections, each with the time its latest request arrived (0 before the
   * first), from the coarse clock (src/worker/coarse-clock.ts: Date.now() on every request cost
   * 1.5 % of a small request's CPU). Kept here, not on Node's objects, to leave their shape alone;
   * keyed by connection, so a request only updates an entry: no per-response listener or
   * allocation, and the request path stays as cheap as a bare node:http server's.
   */
  readonly #connections = new Map<Socket, number>();
  /**
   * For the keep-alive sweep: each connection's bytes read when a sweep last looked, and when a
   * sweep last saw it active (bytes arrived, or a response in progress). Touched by sweeps only.
   */
  readonly #activity = new Map<Socket, { bytesRead: number; at: number }>();
  /** When the keep-alive sweep last ran (performance.now()). */
  #lastSweep = performance.now();
  /** Connections being answered 4xx after their responses in progress (see #answerAfterResponses). */
  readonly #answering = new WeakSet<Socket>();
  /** Whether this worker reports its connections and takes balance limits (--rebalance). */
  readonly #balancing: boolean;
  #balanceLimit: number | null = null;
  /** Surplus connections still to close after their next response. */
  #shedBudget = 0;
  readonly #shedding = new WeakSet<Socket>();
  #reportTimer: NodeJS.Timeout | null = null;
  #reported = 0;
  #lastPauseWarning = 0;
  /** While paused at --worker-connections: looks for a connection that has become idle. */
  #reclaimPoll: NodeJS.Timeout | null = null;
  #draining = false;
  #drained: (() => void) | null = null;

  constructor(opts: WorkerClassOptions, policy: ClassPolicy) {
    this.#opts = opts;
    this.#policy = policy;
    const { keepAlive } = opts.config;
    const keepAliveMs = keepAlive * 1000;
    const closeAfter = keepAlive <= 0;
    // The idle timeout is corral's sweep (#sweepKeepAlive), not Node's: Node arms a socket timer
    // after every response and disarms it on the next request (a new Timeout object each time),
    // 3.6 % of a hello-world request's CPU (docs/architecture.md). Node reads a keepAliveTimeout
    // of 0 as "no idle timeout"; with --keep-alive 0 every connection closes after its response.
    const deadline = policy.requestDeadlineMs;
    this.#server = http.createServer({
      keepAliveTimeout: closeAfter ? 1 : 0,
      ...(deadline === undefined ? {} : {
        headersTimeout: deadline,
        requestTimeout: deadline,
        connectionsCheckingInterval: Math.min(DEADLINE_CHECK_MS, deadline),
      }),
    });
    const guarded = guardListener(opts.listener, opts.log);
    const listener = policy.wrap ? policy.wrap(guarded) : guarded;
    this.#balancing = opts.config.rebalance && policy.maxConnections > 1;
    tickEvery(CLOCK_TICK_MS);
    this.#server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      // Node's parser takes any one-digit major version, and HTTP/0.9's bare `GET /`, as HTTP.
      if (req.httpVersionMajor !== 1) return versionNotSupported(res);
      if (closeAfter || this.#draining) res.shouldKeepAlive = false;
      else if (this.#shedBudget > 0) this.#shed(req.socket, res);
      // What the response advertises (`Keep-Alive: timeout=N`); Node copies it from the server's
      // keepAliveTimeout, which is 0 here.
      (res as KeepAliveResponse)._keepAliveTimeout = keepAliveMs;
      this.#connections.set(req.socket, coarseNow());
      listener(req, res);
    });
    if (!closeAfter) {
      const closeIdleAfterMs = keepAliveMs + KEEP_ALIVE_GRACE_MS;
      const every = keepAliveSweepMs(keepAliveMs);
      // Runs for the worker's life, through a graceful stop too (see stop()).
      setInterval(() => this.#sweepKeepAlive(closeIdleAfterMs + every, every), every).unref();
    }
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
    // An Expect other than 100-continue: Node's own 417 would keep the connection open, which pins a
    // sync worker and ignores --keep-alive 0 and a graceful stop. Same answer, same close rules.
    this.#server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (closeAfter || this.#draining || policy.maxConnections === 1) res.shouldKeepAlive = false;
      (res as KeepAliveResponse)._keepAliveTimeout = keepAliveMs;
      this.#connections.set(req.socket, coarseNow());
      res.writeHead(417).end();
    });
    // CONNECT (a proxy tunnel) never reaches an app through node:http's 'request'; without a
    // listener Node drops the connection without a word. Say it is not served here.
    this.#server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
      answerAndClose(socket, 'HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
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
    // Past the class's limit (accepted while an idle connection could make room): close that one.
    const limit = this.#policy.maxConnections;
    if (limit > 1 && this.#connections.size >= limit) this.#reclaim(this.#longestIdle());
    this.#connections.set(socket, 0);
    socket.once('close', () => this.#closed(socket));
    if (this.#full()) this.#pause();
    this.#countChanged();
    this.#server.emit('connection', socket);
  }

  #closed(socket: Socket): void {
    this.#connections.delete(socket);
    this.#activity.delete(socket);
    if (this.#draining) {
      if (this.#connections.size === 0) this.#drained?.();
    } else if (this.#acceptors.paused && !this.#full()) {
      this.#resume();
    }
    this.#countChanged();
  }

  /**
   * Whether this worker must stop accepting. Under a balance limit it must (the point is to let
   * other workers take the connections). At the class's limit (--worker-connections) it need not
   * while it holds an idle keep-alive connection: as nginx does, the next accepted connection takes
   * the place of the one idle longest, so idle clients never keep new ones waiting in the backlog.
   */
  #full(): boolean {
    const size = this.#connections.size;
    if (size < this.#cap()) return false;
    if (size < this.#policy.maxConnections) return true;
    return this.#policy.maxConnections === 1 || this.#longestIdle() === null;
  }

  /**
   * The keep-alive connection whose latest request arrived longest ago (at least
   * RECLAIM_MIN_IDLE_MS, to within the coarse clock's tick) and that is answering nothing now; null
   * if there is none. A connection that has not sent its first request is not idle (its client is
   * about to). Of connections stamped in the same tick, the one opened first goes.
   */
  #longestIdle(): Socket | null {
    let found: Socket | null = null;
    let oldest = coarseNow() - RECLAIM_MIN_IDLE_MS + 1;
    for (const [socket, arrived] of this.#connections) {
      if (arrived === 0 || arrived >= oldest) continue;
      if (responseOn(socket)) continue;
      found = socket;
      oldest = arrived;
    }
    return found;
  }

  /**
   * Closes the keep-alive connections idle for `idleMs` since a sweep last saw them active. Only
   * connections that have had a request: one that never sent one is left to Node's headers
   * timeout, as before. A connection receiving bytes (the next request, even half of it) or
   * answering a request is active. Sweeps are `every` apart, so a connection seen active at T went
   * idle by T + every at the latest: closing at T + idleMs (idleMs = --keep-alive + grace + every)
   * never comes before --keep-alive + grace of real idleness. After the event loop was blocked
   * (sweeps late), no sweep saw what happened meanwhile (a response may have ended just now), so
   * that sweep counts every connection as active. The clock is monotonic: a wall-clock step must
   * not age every connection at once.
   */
  #sweepKeepAlive(idleMs: number, every: number): void {
    const now = performance.now();
    const late = now - this.#lastSweep > 2 * every;
    this.#lastSweep = now;
    for (const [socket, arrived] of this.#connections) {
      if (arrived === 0) continue;
      const bytesRead = socket.bytesRead;
      const seen = this.#activity.get(socket);
      if (seen === undefined) {
        this.#activity.set(socket, { bytesRead, at: now });
      } else if (late || bytesRead !== seen.bytesRead || responseOn(socket)) {
        seen.bytesRead = bytesRead;
        seen.at = now;
      } else if (now - seen.at >= idleMs) {
        socket.destroy();
      }
    }
  }

  #reclaim(socket: Socket | null): void {
    if (!socket) return;
    this.#connections.delete(socket);
    this.#opts.log.debug('At --worker-connections: closing the longest-idle keep-alive connection for a new one');
    socket.destroy();
  }

  #resume(): void {
    if (this.#reclaimPoll) clearInterval(this.#reclaimPoll);
    this.#reclaimPoll = null;
    this.#acceptors.resume();
  }

  /** The most connections this worker takes now: its class's limit, or less while it holds more than its share. */
  #cap(): number {
    return Math.min(this.#policy.maxConnections, this.#balanceLimit ?? Infinity);
  }

  setBalanceLimit(limit: number | null): void {
    if (!this.#balancing || this.#draining) return;
    this.#balanceLimit = limit;
    this.#shedBudget = limit === null ? 0 : Math.max(0, this.#connections.size - limit);
    if (this.#full()) this.#pause();
    else if (this.#acceptors.paused) this.#resume();
  }

  /**
   * Answers this request with `Connection: close`, so the client reconnects (to a worker with room).
   * Each surplus connection is shed once: a request pipelined behind it does not count again.
   */
  #shed(socket: Socket, res: http.ServerResponse): void {
    if (this.#shedding.has(socket)) return;
    this.#shedding.add(socket);
    this.#shedBudget--;
    res.shouldKeepAlive = false;
  }

  /** Reports the connection count to the master, at most every REPORT_INTERVAL_MS and only when it changed. */
  #countChanged(): void {
    if (!this.#balancing || this.#reportTimer || this.#draining) return;
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = null;
      if (this.#draining || this.#connections.size === this.#reported) return;
      this.#reported = this.#connections.size;
      this.#opts.reportConnections(this.#connections.size);
    }, REPORT_INTERVAL_MS);
  }

  #pause(): void {
    const now = Date.now();
    // Once a minute at most: a worker at its limit under steady load would otherwise flood the log.
    // A pause for balance (under the class's limit) is routine and says nothing.
    if (this.#connections.size < this.#policy.maxConnections) {
      this.#acceptors.pause();
      return;
    }
    if (this.#policy.pauseWarning && now - this.#lastPauseWarning > 60_000) {
      this.#lastPauseWarning = now;
      this.#opts.log.warning(this.#policy.pauseWarning);
    }
    this.#acceptors.pause();
    // Every connection is busy: accept again as soon as one of them becomes idle (reclaimable).
    if (this.#policy.maxConnections > 1 && !this.#reclaimPoll) {
      this.#reclaimPoll = setInterval(() => {
        if (!this.#full()) this.#resume();
      }, RECLAIM_POLL_MS);
      this.#reclaimPoll.unref();
    }
  }

  /** The response each connection is answering now, if any (see responseOn). */
  #responses(): Array<[Socket, http.ServerResponse]> {
    const found: Array<[Socket, http.ServerResponse]> = [];
    for (const socket of this.#connections.keys()) {
      const res = responseOn(socket);
      if (res instanceof http.ServerResponse && !res.writableFinished) found.push([socket, res]);
    }
    return found;
  }

  /** Malformed requests get their 4xx; the worker logs and carries on. */
  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    this.#opts.log.debug(`Bad request from ${socket.remoteAddress ?? 'client'}: ${err.code ?? err.message}`);
    // An error that is not the parser's (no bytesParsed: a reset socket) gets no answer, except
    // Node's deadline for a request that has not arrived (a slow or silent client): 408.
    const answerable = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || (err as { bytesParsed?: number }).bytesParsed !== undefined;
    if (!socket.writable || !answerable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    const answer = `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
    // Node's parser stays failed: every later chunk from this client reports again; it is answered once.
    if (this.#answering.has(socket)) return;
    const res = responseOn(socket);
    if (res instanceof http.ServerResponse) {
      // The request being answered arrived whole: the bad bytes are a request pipelined behind it.
      // Its answer (and those of requests before the bad one) go first, then the 4xx, as Gunicorn does.
      if (res.req.complete) {
        this.#answering.add(socket);
        return this.#answerAfterResponses(socket, answer);
      }
      // The request's own body is malformed (bad chunked framing) and nothing is answered yet: as
      // Node does, answer now and close; the app's response goes nowhere. Mid-response: just close.
      if (!res.headersSent) socket.write(answer);
      socket.destroy();
      return;
    }
    answerAndClose(socket, answer);
  }

  /** Ends the connection with `answer` once the responses in progress and queued on it are done. */
  #answerAfterResponses(socket: Socket, answer: string): void {
    const res = responseOn(socket);
    if (res instanceof http.ServerResponse) {
      // Node hands the connection to the next queued response in its own 'finish' listener, which runs first.
      res.once('finish', () => this.#answerAfterResponses(socket, answer));
      // A response that ends without finishing (the app destroyed it, the client left): no 4xx.
      res.once('close', () => res.writableFinished || socket.destroy());
      return;
    }
    if (socket.writable) answerAndClose(socket, answer);
    else socket.destroy();
  }

  /**
   * Graceful stop: stop accepting, close idle keep-alive connections, answer requests still
   * arriving with `Connection: close`, and resolve once every connection has closed.
   */
  stop(): Promise<void> {
    this.#draining = true;
    if (this.#reportTimer) clearTimeout(this.#reportTimer);
    // The keep-alive sweep runs on: closeIdleConnections() passes over a connection whose next
    // request stalled half-sent, which the sweep closes after --keep-alive + 1 s, as Node's timer did.
    if (this.#reclaimPoll) clearInterval(this.#reclaimPoll);
    this.#acceptors.close();
    // A response not started yet says `Connection: close`, and its connection closes after it.
    for (const [, res] of this.#responses()) if (!res.headersSent) res.shouldKeepAlive = false;
    this.#server.closeIdleConnections();
    if (this.#connections.size === 0) return Promise.resolve();
    // A connection whose response had already started is idle once it ends: close it then.
    const sweep = setInterval(() => this.#server.closeIdleConnections(), IDLE_SWEEP_MS);
    return new Promise((resolve) => {
      this.#drained = () => {
        clearInterval(sweep);
        resolve();
      };
    });
  }

  /**
   * The requests this worker is serving now (for the watchdog's report). Read while the event loop
   * is blocked, so against the real clock: the ages are at most one clock tick too long.
   */
  inflight(): InflightRequest[] {
    const now = Date.now();
    return this.#responses().map(([socket, res]) => ({
      method: res.req.method ?? '?',
      url: res.req.url ?? '?',
      ageMs: now - (this.#connections.get(socket) || now),
    }));
  }
}

/**
 * Writes a final answer and closes the connection once it is sent, without waiting for the client
 * to close its side: one that keeps it open (half-open) must not hold the connection, or a sync
 * worker, for ever.
 */
function answerAndClose(socket: Socket, answer: string): void {
  socket.write(answer);
  socket.destroySoon();
}

const VERSION_NOT_SUPPORTED = 'HTTP Version Not Supported: this server speaks HTTP/1.0 and HTTP/1.1\n';

/** The answer to a request line of another HTTP version (HTTP/2.0 in plain text, HTTP/0.9): 505, and the close. */
function versionNotSupported(res: http.ServerResponse): void {
  res.shouldKeepAlive = false;
  res.writeHead(505, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(VERSION_NOT_SUPPORTED) });
  res.end(VERSION_NOT_SUPPORTED);
}

/** Node's field for the `Keep-Alive: timeout=N` header of a response (ms). */
type KeepAliveResponse = http.ServerResponse & { _keepAliveTimeout: number };

/**
 * The response a connection is answering now, if any. Node keeps it as the socket's `_httpMessage`
 * from the time it emits 'request' until the response finishes; requests a client pipelined behind
 * it wait in Node's queue and are not counted.
 */
function responseOn(socket: Socket): unknown {
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage ?? null;
}
