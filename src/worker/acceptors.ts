// Accepts connections on this worker's copies of the listening sockets, and stops and resumes accepting. Worker process only.
import net from 'node:net';
import os from 'node:os';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';

/** A listening socket handle received from the master (a libuv TCP or Pipe handle). */
export type ListenHandle = { close?: () => void };

/** The stream methods of a listening net.Server's libuv handle (node:net internals). */
type WatchedHandle = { readStart?: () => number; readStop?: () => number };

export interface AcceptorsOptions {
  backlog: number;
  log: Logger;
  onConnection: (socket: Socket) => void;
  /** Asks the master for fresh copies of the listening sockets. */
  requestListeners: () => void;
  /** A socket could not be listened on at all: the worker cannot serve. */
  onListenError: (err: NodeJS.ErrnoException) => void;
}

/**
 * Stops and resumes accepting without touching the connections already accepted.
 *
 * Node has no public way to stop a listening socket from accepting short of closing it. But the
 * handles a worker receives from the master are opened by libuv as readable streams, and libuv
 * watches a listening socket for connections with the same poll watcher that reading uses:
 * `readStop()` on the handle stops the watcher, so nothing is accepted until `readStart()`, while the
 * socket stays open and listening and new connections wait in the kernel's queue for whichever
 * worker accepts next. This costs no message to the master and no new socket (at most an epoll
 * update when accepting resumes), which matters to the sync class: it pauses after every
 * connection it accepts.
 *
 * A handle that refuses `readStart()` is paused the old way: its copy of the listening socket is
 * closed (the master and the other workers keep theirs, so nothing queued is lost) and accepting
 * resumes on a new copy from the master. One spare copy of such a socket is kept, asked for as
 * soon as accepting stops, so resuming does not wait for the master.
 */
export class Acceptors {
  readonly #opts: AcceptorsOptions;
  readonly #active = new Map<number, net.Server>();
  readonly #spares = new Map<number, ListenHandle>();
  /** Sockets whose handle cannot stop watching: paused by closing them, resumed on a spare copy. */
  readonly #closing = new Set<number>();
  #paused = false;
  #closed = false;
  #asked = false;

  constructor(opts: AcceptorsOptions) {
    this.#opts = opts;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** A copy of listening socket `index` arrived from the master. */
  add(index: number, handle: ListenHandle): void {
    this.#asked = false;
    if (this.#closed) return closeHandle(handle);
    if (this.#active.has(index) && !this.#closing.has(index)) return closeHandle(handle);
    if (this.#paused || this.#active.has(index)) {
      const old = this.#spares.get(index);
      if (old) closeHandle(old);
      this.#spares.set(index, handle);
      return;
    }
    this.#listen(index, handle);
  }

  #listen(index: number, handle: ListenHandle): void {
    const acceptor = net.createServer({ noDelay: true });
    acceptor.on('connection', this.#opts.onConnection);
    acceptor.on('error', (err: NodeJS.ErrnoException) => {
      if (acceptor.listening) this.#opts.log.error(`Accept error: ${err.message}`);
      else this.#opts.onListenError(err);
    });
    acceptor.listen(handle as net.ListenOptions, this.#opts.backlog);
    this.#active.set(index, acceptor);
  }

  /** Stops accepting; connections already accepted are untouched. */
  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    for (const [index, acceptor] of this.#active) {
      if (stopWatching(acceptor)) continue;
      if (!this.#closing.has(index)) this.#opts.log.debug(`Listening socket ${index} cannot pause in place; pausing by closing this worker's copy`);
      acceptor.close();
      this.#active.delete(index);
      this.#closing.add(index);
    }
    if ([...this.#closing].some((i) => !this.#spares.has(i))) this.#ask();
  }

  /** Accepts again: the paused sockets start watching, closed ones listen on their spare copies. */
  resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    for (const acceptor of this.#active.values()) handleOf(acceptor)?.readStart?.();
    for (const [index, handle] of this.#spares) {
      if (this.#active.has(index)) continue;
      this.#spares.delete(index);
      this.#listen(index, handle);
    }
    if (this.#closing.size > 0) this.#ask(); // spares for the next pause, and copies of sockets that had none
  }

  #ask(): void {
    if (this.#asked) return;
    this.#asked = true;
    this.#opts.requestListeners();
  }

  /** Stops accepting for good (a graceful stop). */
  close(): void {
    this.#closed = true;
    this.#closeActive();
    for (const h of this.#spares.values()) closeHandle(h);
    this.#spares.clear();
  }

  #closeActive(): void {
    for (const a of this.#active.values()) a.close();
    this.#active.clear();
  }
}

function handleOf(acceptor: net.Server): WatchedHandle | null {
  return (acceptor as unknown as { _handle?: WatchedHandle | null })._handle ?? null;
}

const UV_EALREADY = -os.constants.errno.EALREADY;

/** Stops a listening socket's poll watcher (see Acceptors); false if its handle cannot. */
function stopWatching(acceptor: net.Server): boolean {
  const handle = handleOf(acceptor);
  if (!handle?.readStart || !handle.readStop) return false;
  // readStop() only acts on a handle marked as reading, which readStart() does (or already did).
  const started = handle.readStart();
  if (started !== 0 && started !== UV_EALREADY) return false;
  return handle.readStop() === 0;
}

function closeHandle(handle: ListenHandle): void {
  handle.close?.();
}
