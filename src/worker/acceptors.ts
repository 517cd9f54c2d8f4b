// Accepts connections on this worker's copies of the listening sockets, and stops and resumes accepting. Worker process only.
import net from 'node:net';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';

/** A listening socket handle received from the master (a libuv TCP or Pipe handle). */
export type ListenHandle = { close?: () => void };

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
 * Node cannot stop a listening handle from accepting without closing it, so a worker stops
 * accepting by closing its copies of the listening sockets (the master and the other workers keep
 * theirs, so nothing queued is lost) and resumes with new copies from the master. One spare copy per
 * socket is kept, asked for as soon as accepting stops, so resuming does not wait for the master.
 */
export class Acceptors {
  readonly #opts: AcceptorsOptions;
  readonly #active = new Map<number, net.Server>();
  readonly #spares = new Map<number, ListenHandle>();
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
    const indexes = [...this.#active.keys()];
    this.#closeActive();
    if (indexes.some((i) => !this.#spares.has(i))) this.#ask();
  }

  /** Accepts again, on the spare copies, asking the master for any that are missing. */
  resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    for (const [index, handle] of this.#spares) this.#listen(index, handle);
    this.#spares.clear();
    this.#ask();
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

function closeHandle(handle: ListenHandle): void {
  handle.close?.();
}
