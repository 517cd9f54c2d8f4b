// The app threads of one worker process: hands each request to an idle thread, queues the rest, replaces threads that crash or get stuck. Worker process, main thread.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorralError } from '../../errors.js';
import { describeError, type Logger, type LoggerOptions } from '../../log/logger.js';
import { AppThread, type AppReady, type Relay } from './app-thread.js';
import { MainRelay } from './main-relay.js';
import { ThreadLiveness } from './thread-liveness.js';
import { ThreadSharing, type SharingPool } from './thread-sharing.js';

export interface ThreadPoolOptions {
  /** APP_MODULE, and the directory it is relative to. */
  app: string;
  cwd: string;
  threads: number;
  timeout: number;
  blockedWarning: number;
  log: Logger;
  logOptions: LoggerOptions;
  /** The master's directory for the workers' peer sockets (--share-threads), or null. */
  peerDir: string | null;
}

/** A thread that dies within this long of starting counts towards the respawn backoff. */
const QUICK_DEATH_MS = 10_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

/**
 * Requests go to an idle thread, else wait in a FIFO queue here and go to the next thread that frees
 * up. The queue needs no bound of its own: it holds at most the requests of the connections the
 * worker accepted (--worker-connections), and Node's parser reads no further on a connection whose
 * request is still unanswered.
 *
 * With --share-threads, idle threads also run requests waiting on other workers (ThreadSharing).
 */
export class ThreadPool {
  readonly #opts: ThreadPoolOptions;
  readonly #threads = new Set<AppThread>();
  readonly #idle: AppThread[] = [];
  readonly #queue: Relay[] = [];
  readonly #liveness: ThreadLiveness;
  #nextId = 1;
  #quickDeaths = 0;
  #closing = false;
  /** Lends idle threads to the other workers and borrows theirs (--share-threads), or null. */
  #sharing: ThreadSharing | null = null;

  constructor(opts: ThreadPoolOptions) {
    this.#opts = opts;
    this.#liveness = new ThreadLiveness({
      timeout: opts.timeout,
      blockedWarning: opts.blockedWarning,
      log: opts.log,
      threads: () => this.#threads,
      stuck: (thread, blockedMs) => this.#stuck(thread, blockedMs),
    });
  }

  /** Starts every thread; rejects with the loader's error (a CorralError) if one cannot load the app. */
  async start(): Promise<AppReady> {
    const threads = Array.from({ length: this.#opts.threads }, () => this.#spawn());
    try {
      const [ready] = await Promise.all(threads.map((t) => t.ready));
      await this.#shareThreads();
      for (const t of threads) this.#free(t);
      this.#liveness.start();
      return ready!;
    } catch (err) {
      this.#closing = true;
      await Promise.all(threads.map((t) => t.worker.terminate()));
      throw err;
    }
  }

  /** The request listener: the main thread's only work per request is to hand it over. */
  readonly dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const relay = new MainRelay(this.#nextId++, req, res, this.#opts.log);
    const thread = this.#idle.pop();
    if (thread !== undefined) return thread.run(relay);
    this.#queue.push(relay);
    this.#sharing?.requestsWait();
  };

  /** The workers serving now (from the master): the ones to share threads with. */
  setPeers(pids: readonly number[]): void {
    this.#sharing?.setPeers(pids);
  }

  /** The graceful stop began: take no more requests from other workers (passing ours on is fine). */
  stopSharing(): void {
    this.#sharing?.stop();
  }

  /** Graceful stop, once the worker's connections are drained: each thread closes its app and exits. */
  async close(deadlineMs = 10_000): Promise<void> {
    // Requests other workers passed here finish first: their clients are waiting on those workers.
    await this.#sharing?.close(deadlineMs);
    this.#closing = true;
    this.#liveness.stop();
    const threads = [...this.#threads];
    for (const t of threads) t.close();
    const exited = Promise.all(threads.map((t) => new Promise((resolve) => (t.state === 'exited' ? resolve(0) : t.worker.once('exit', resolve)))));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([exited, late]);
    clearTimeout(timer);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #spawn(): AppThread {
    const { app, cwd, logOptions } = this.#opts;
    const thread = new AppThread({ app, cwd, log: logOptions }, {
      free: (t) => this.#free(t),
      exit: (t, error, code) => this.#exited(t, error, code),
    });
    this.#threads.add(thread);
    return thread;
  }

  /** The thread can take a request: the oldest one waiting whose client is still there, if any. */
  #free(thread: AppThread): void {
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      if (!next.alive) continue;
      this.#sharing?.startingWaiting(next.startedAt);
      return thread.run(next);
    }
    this.#idle.push(thread);
    this.#sharing?.threadIdle();
  }

  /** Starts sharing this worker's threads with the other workers (--share-threads), if asked to. */
  async #shareThreads(): Promise<void> {
    const dir = this.#opts.peerDir;
    if (dir === null) return;
    const queue = this.#queue;
    const idle = this.#idle;
    const pool: SharingPool = {
      oldestOwn: () => queue.find((r): r is MainRelay => r instanceof MainRelay && r.alive),
      unqueue: (relay) => void queue.splice(queue.indexOf(relay), 1),
      get waiting() {
        return queue.length;
      },
      get idle() {
        return idle.length;
      },
      admit: (relay) => {
        const thread = idle.pop();
        if (thread !== undefined) return thread.run(relay);
        const at = queue.findIndex((r) => r.startedAt > relay.startedAt);
        queue.splice(at === -1 ? queue.length : at, 0, relay);
      },
      nextId: () => this.#nextId++,
    };
    const sharing = new ThreadSharing(dir, this.#opts.log, pool);
    if (await sharing.listen()) this.#sharing = sharing;
  }

  #exited(thread: AppThread, error: Error | undefined, code: number): void {
    this.#forget(thread);
    if (this.#closing) return;
    const who = `Worker (pid:${process.pid}) app thread ${thread.id}`;
    this.#opts.log.error(error ? `${who} crashed; starting another:\n${describeError(error)}` : `${who} exited with code ${code}; starting another`);
    thread.relay?.fail(new CorralError('CORRAL_ERR_HANDLER', `The app thread serving this request (thread ${thread.id}) crashed.`));
    this.#replace(thread);
  }

  /** Past --timeout: the report is logged; terminate the thread, fail its request, start another. */
  #stuck(thread: AppThread, blockedMs: number): void {
    if (this.#closing) return;
    thread.state = 'retired';
    this.#forget(thread);
    void thread.worker.terminate();
    const s = (blockedMs / 1000).toFixed(1);
    thread.relay?.fail(
      new CorralError('CORRAL_ERR_HANDLER', `The app thread serving this request (thread ${thread.id}) was stuck for ${s} s and was terminated (--timeout ${this.#opts.timeout} s).`),
    );
    this.#replace(thread);
  }

  #forget(thread: AppThread): void {
    this.#threads.delete(thread);
    const i = this.#idle.indexOf(thread);
    if (i !== -1) this.#idle.splice(i, 1);
  }

  /** Starts a thread in place of one that is gone, backing off while new threads keep dying young. */
  #replace(old: AppThread): void {
    this.#quickDeaths = Date.now() - old.startedAt < QUICK_DEATH_MS ? this.#quickDeaths + 1 : 0;
    const delay = this.#quickDeaths === 0 ? 0 : Math.min(MAX_RESPAWN_DELAY_MS, 250 * 2 ** (this.#quickDeaths - 1));
    setTimeout(() => {
      if (this.#closing) return;
      const thread = this.#spawn();
      thread.ready.then(
        () => {
          this.#opts.log.info(`Worker (pid:${process.pid}) app thread ${thread.id} ready, in place of thread ${old.id}`);
          this.#free(thread);
        },
        (err: unknown) => {
          this.#opts.log.error(`Worker (pid:${process.pid}) could not start an app thread; trying again:\n${describeError(err)}`);
          thread.state = 'retired';
          this.#forget(thread);
          void thread.worker.terminate();
          this.#replace(thread);
        },
      );
    }, delay).unref();
  }
}
