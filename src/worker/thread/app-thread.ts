// The main thread's handle on one app thread: starts it, hands it one request at a time, routes its messages. Worker process, main thread.
import { Worker } from 'node:worker_threads';
import { CorralError } from '../../errors.js';
import type { Post } from './main-relay.js';
import {
  deserializeError, requestToWire, responseFromWire, Tag, type ResponseWire, type ThreadData, type ToMain, type ToThread,
} from './protocol.js';

/** starting: loading the app. idle/busy: serving. retired: being replaced (stuck, or failed). exited: gone. */
export type ThreadState = 'starting' | 'idle' | 'busy' | 'retired' | 'exited';

export interface AppReady {
  kind: string;
  description: string;
}

export interface AppThreadEvents {
  /** The thread finished its request and can take another. */
  free(thread: AppThread): void;
  /** The thread exited while serving; `error` is what it died of, if it crashed. */
  exit(thread: AppThread, error: Error | undefined, code: number): void;
}

/**
 * One request between this worker's main thread and the app thread running it: a MainRelay for a
 * connection of this worker, a PeerRelay for a request another worker passed here (--share-threads).
 */
export interface Relay {
  readonly id: number;
  readonly startedAt: number;
  /** What reports name: the request's method and path. */
  readonly req: { readonly method?: string | undefined; readonly url?: string | undefined };
  /** Whether it is still worth running (its client, or the worker that passed it, is still there). */
  readonly alive: boolean;
  /** Sends the request to the thread with `post`; calls `done` once the thread is finished with it. */
  start(post: Post, done: (relay: Relay) => void): void;
  /** A message from the app thread about this request. */
  receive(msg: ToMain): void;
  /** The thread is gone (crashed, or terminated while stuck). */
  fail(err: Error): void;
}

/** How often an app thread stamps its liveness clock. */
export const BEAT_MS = 100;

const ENTRY = new URL('./thread-main.js', import.meta.url);

export class AppThread {
  readonly worker: Worker;
  readonly id: number;
  /** Slot 0: when the thread's event loop last turned (Date.now()). */
  readonly beat: Float64Array;
  readonly ready: Promise<AppReady>;
  readonly startedAt = Date.now();
  state: ThreadState = 'starting';
  relay: Relay | null = null;
  readonly #events: AppThreadEvents;
  #crash: Error | undefined;
  #settle: { resolve: (r: AppReady) => void; reject: (e: Error) => void } | undefined;
  readonly #post = (msg: ToThread, transfer?: ArrayBuffer[]): void =>
    this.worker.postMessage(msg.t === Tag.REQUEST ? requestToWire(msg) : msg, transfer);
  readonly #relayDone = (relay: Relay): void => this.#finished(relay);

  constructor(data: Omit<ThreadData, 'beat' | 'beatMs'>, events: AppThreadEvents) {
    this.#events = events;
    const beat = new SharedArrayBuffer(8);
    this.beat = new Float64Array(beat);
    this.beat[0] = Date.now();
    const workerData: ThreadData = { ...data, beat, beatMs: BEAT_MS };
    this.worker = new Worker(ENTRY, { workerData });
    this.id = this.worker.threadId;
    this.ready = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.ready.catch(() => undefined); // whoever waits handles it; an unwatched failure is not a crash
    this.worker.on('message', (msg: ToMain | ResponseWire) => this.#onMessage(Array.isArray(msg) ? responseFromWire(msg) : msg));
    this.worker.on('error', (err) => {
      this.#crash = err;
    });
    this.worker.on('exit', (code) => this.#onExit(code));
  }

  /** Hands the thread a request; it must be idle. */
  run(relay: Relay): void {
    this.state = 'busy';
    this.relay = relay;
    relay.start(this.#post, this.#relayDone);
  }

  /** Asks the thread to close its app and exit (graceful stop). */
  close(): void {
    this.#post({ t: Tag.CLOSE });
  }

  #onMessage(msg: ToMain): void {
    switch (msg.t) {
      case Tag.READY:
        this.state = 'idle';
        this.#settle?.resolve({ kind: msg.kind, description: msg.description });
        this.#settle = undefined;
        return;
      case Tag.FAILED:
        this.#settle?.reject(deserializeError(msg.error));
        this.#settle = undefined;
        return;
      default:
        if (this.relay !== null && this.relay.id === msg.id) this.relay.receive(msg);
    }
  }

  #finished(relay: Relay): void {
    if (this.relay !== relay) return;
    this.relay = null;
    if (this.state !== 'busy') return;
    this.state = 'idle';
    this.#events.free(this);
  }

  /** A thread that dies before it is ready fails its `ready`; a retired one was already replaced. */
  #onExit(code: number): void {
    const was = this.state;
    this.state = 'exited';
    if (this.#settle) {
      // As a worker process that ends while loading: a boot failure (exit 3), with the same hint.
      this.#settle.reject(this.#crash ?? new CorralError('CORRAL_ERR_WORKER_BOOT',
        `the app thread exited with code ${code} before it was ready (did the app end the process while loading?)`));
      this.#settle = undefined;
    } else if (was !== 'retired') {
      this.#events.exit(this, this.#crash, code);
    }
  }
}
