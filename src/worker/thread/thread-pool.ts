// The app threads of one worker process: hands each request to an idle thread, queues the rest, replaces threads that crash or get stuck. Worker process, main thread.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorralError } from '../../errors.js';
import { describeError, type Logger, type LoggerOptions } from '../../log/logger.js';
import { AppThread, type AppReady, type Relay } from './app-thread.js';
import { MainRelay } from './main-relay.js';
import { PeerNetwork } from './peer-network.js';
import { PeerRelay } from './peer-relay.js';
import { deserializeError, PeerTag, Tag, type PeerMessage, type RequestMessage } from './protocol.js';
import { ThreadLiveness } from './thread-liveness.js';

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
/** While requests wait here, how often the other workers hear how long the oldest has waited. */
const AGE_REPORT_MS = 50;
/**
 * A worker with requests of its own waiting still takes one from another worker whose oldest has
 * waited this much longer than its own (the other's report may be up to AGE_REPORT_MS stale, and
 * older than the truth: it never makes a younger request look older).
 */
const STEAL_MARGIN_MS = 50;
const MAX_RESPAWN_DELAY_MS = 30_000;

/**
 * Requests go to an idle thread, else wait in a FIFO queue here and go to the next thread that frees
 * up. The queue needs no bound of its own: it holds at most the requests of the connections the
 * worker accepted (--worker-connections), and Node's parser reads no further on a connection whose
 * request is still unanswered.
 *
 * Sharing threads between workers (--share-threads): a worker whose own requests wait tells the
 * others, and how long its oldest has waited (STARVED, every AGE_REPORT_MS while any waits). A
 * worker asks one of them for a request (PULL) when it has an idle thread and nothing of its own
 * waiting, or when that worker's oldest request has waited STEAL_MARGIN_MS longer than its own
 * oldest; the asked worker passes its oldest waiting one (PASS; its MainRelay now posts to the link
 * instead of a thread) or answers NONE. So the workers serve their waiting requests about in arrival
 * order, as one queue would. A request passed once is never passed again; with nothing waiting
 * anywhere nothing is sent, and under even load only the age reports are.
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
  /** Set once this worker stops taking requests from other workers (its graceful stop began). */
  #stopping = false;
  #peers: PeerNetwork | null = null;
  /**
   * Set while the other workers know that requests wait here (from the first one until a PULL finds
   * none): reports the oldest waiting request's arrival every AGE_REPORT_MS.
   */
  #ageTimer: NodeJS.Timeout | null = null;
  #reportedOldest = 0;
  /** Workers that said requests wait there, with the arrival time of their oldest (Date.now()). */
  readonly #starved = new Map<number, number>();
  /** PULLs sent and not yet answered, per worker. */
  readonly #pulls = new Map<number, number>();
  /** Requests of this worker's connections running on another worker's thread, by its pid, then id. */
  readonly #passed = new Map<number, Map<number, MainRelay>>();
  /** Requests other workers passed here, by their pid, then their id. */
  readonly #taken = new Map<number, Map<number, PeerRelay>>();
  /** Set while close() waits for the requests taken from other workers to finish. */
  #takenDone: (() => void) | null = null;
  /** Requests passed to other workers and taken from them, for the stop's debug line. */
  readonly #moved = { passed: 0, taken: 0 };

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
      await this.#listenForPeers();
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
    this.#announce();
  };

  /** The workers serving now (from the master): the ones to share threads with. */
  setPeers(pids: readonly number[]): void {
    if (this.#peers === null) return;
    this.#peers.setPeers(pids);
    for (const pid of this.#starved.keys()) if (!pids.includes(pid)) this.#starved.delete(pid);
    // A worker that just started has not heard that requests wait here.
    if (this.#ageTimer !== null) this.#reportAge(true);
    else if (this.#oldestPassable() !== undefined) this.#announce();
    this.#pull();
  }

  /** The graceful stop began: take no more requests from other workers (passing ours on is fine). */
  stopSharing(): void {
    this.#stopping = true;
  }

  /** Graceful stop, once the worker's connections are drained: each thread closes its app and exits. */
  async close(deadlineMs = 10_000): Promise<void> {
    this.#stopping = true;
    // Requests other workers passed here finish first: their clients are waiting on those workers.
    await this.#drainTaken(deadlineMs);
    this.#closing = true;
    this.#stopAgeReports();
    if (this.#peers) this.#opts.log.debug(`Worker (pid:${process.pid}) passed ${this.#moved.passed} requests to other workers' threads and ran ${this.#moved.taken} of theirs`);
    this.#peers?.close();
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
      this.#steal(next.startedAt);
      return thread.run(next);
    }
    this.#idle.push(thread);
    this.#pull();
  }

  async #listenForPeers(): Promise<void> {
    const dir = this.#opts.peerDir;
    if (dir === null) return;
    const peers = new PeerNetwork({
      dir,
      log: this.#opts.log,
      onMessage: (pid, msg) => this.#onPeerMessage(pid, msg),
      onGone: (pid) => this.#peerGone(pid),
    });
    try {
      await peers.listen();
      this.#peers = peers;
    } catch (err) {
      this.#opts.log.warning(`Worker (pid:${process.pid}) cannot share its threads with the other workers: ${describeError(err)}`);
    }
  }

  #onPeerMessage(pid: number, msg: PeerMessage): void {
    switch (msg.p) {
      case PeerTag.STARVED:
        this.#starved.set(pid, msg.oldest);
        return this.#pull();
      case PeerTag.PASS:
        return this.#take(pid, msg.m, msg.since, msg.rest);
      case PeerTag.PULL:
        return this.#pass(pid);
      case PeerTag.NONE:
        this.#starved.delete(pid);
        this.#pullAnswered(pid);
        return this.#pull();
      case PeerTag.THREAD:
        if ('id' in msg.m) this.#taken.get(pid)?.get(msg.m.id)?.toThread(msg.m);
        return;
      case PeerTag.MAIN:
        if ('id' in msg.m) this.#passed.get(pid)?.get(msg.m.id)?.receive(msg.m);
        return;
      case PeerTag.FAIL:
        this.#passed.get(pid)?.get(msg.id)?.fail(deserializeError(msg.error));
        return;
    }
  }

  /** Tells the other workers that requests wait here for a thread, then how long, until they stop. */
  #announce(): void {
    if (this.#peers === null || this.#ageTimer !== null || this.#closing || this.#peers.peers.length === 0) return;
    this.#reportAge(true);
    this.#ageTimer = setInterval(() => this.#reportAge(false), AGE_REPORT_MS);
    this.#ageTimer.unref();
  }

  /** Sends the oldest waiting request's arrival time, when it changed (or always). */
  #reportAge(always: boolean): void {
    const oldest = this.#oldestPassable()?.startedAt ?? 0;
    if (oldest === 0 || (!always && oldest === this.#reportedOldest)) return;
    this.#reportedOldest = oldest;
    for (const pid of this.#peers!.peers) this.#peers!.send(pid, { p: PeerTag.STARVED, oldest });
  }

  /** The other workers no longer think requests wait here (NONE or PASS with rest 0 told them). */
  #stopAgeReports(): void {
    if (this.#ageTimer) clearInterval(this.#ageTimer);
    this.#ageTimer = null;
  }

  /** This worker's oldest waiting request that may be passed (its own; alive). */
  #oldestPassable(): MainRelay | undefined {
    return this.#queue.find((r): r is MainRelay => r instanceof MainRelay && r.alive);
  }

  /**
   * About to serve its own request that arrived at `ownOldest`: if another worker's oldest has waited
   * clearly longer, ask for it too (it joins this queue in arrival order, ahead of ours).
   */
  #steal(ownOldest: number): void {
    const peers = this.#peers;
    if (peers === null || this.#stopping || this.#starved.size === 0) return;
    let target = 0;
    let oldest = ownOldest - STEAL_MARGIN_MS;
    for (const [pid, since] of this.#starved) {
      if (since < oldest && !this.#pulls.has(pid)) [target, oldest] = [pid, since];
    }
    if (target === 0) return;
    this.#pulls.set(target, 1);
    peers.send(target, { p: PeerTag.PULL });
  }

  /** Asks workers where requests wait for one each, for as many idle threads as nothing else claims. */
  #pull(): void {
    const peers = this.#peers;
    if (peers === null || this.#stopping || this.#starved.size === 0 || this.#queue.length > 0) return;
    let asked = 0;
    for (const n of this.#pulls.values()) asked += n;
    let spare = this.#idle.length - asked;
    while (spare > 0) {
      // The waiting worker asked least so far, so two idle threads ask two workers.
      let target = 0;
      let least = Infinity;
      for (const pid of this.#starved.keys()) {
        const n = this.#pulls.get(pid) ?? 0;
        if (n < least) [target, least] = [pid, n];
      }
      this.#pulls.set(target, least + 1);
      peers.send(target, { p: PeerTag.PULL });
      spare--;
    }
  }

  #pullAnswered(pid: number): void {
    const n = (this.#pulls.get(pid) ?? 0) - 1;
    if (n > 0) this.#pulls.set(pid, n);
    else this.#pulls.delete(pid);
  }

  /** Another worker asks: pass it the oldest request of ours still waiting, with the next one's arrival. */
  #pass(pid: number): void {
    const peers = this.#peers!;
    const relay = this.#oldestPassable();
    if (relay === undefined) {
      this.#stopAgeReports();
      return peers.send(pid, { p: PeerTag.NONE });
    }
    this.#queue.splice(this.#queue.indexOf(relay), 1);
    const rest = this.#oldestPassable()?.startedAt ?? 0;
    if (rest === 0) this.#stopAgeReports();
    let passed = this.#passed.get(pid);
    if (passed === undefined) this.#passed.set(pid, (passed = new Map()));
    passed.set(relay.id, relay);
    this.#moved.passed++;
    relay.start(
      (m) => peers.send(pid, m.t === Tag.REQUEST ? { p: PeerTag.PASS, m, since: relay.startedAt, rest } : { p: PeerTag.THREAD, m }),
      () => passed.delete(relay.id),
    );
  }

  /**
   * A request another worker passed: an idle thread runs it, else it waits here in arrival order
   * (it was asked for because it had waited longest). `rest`: when that worker's next one arrived.
   */
  #take(pid: number, request: RequestMessage, since: number, rest: number): void {
    this.#pullAnswered(pid);
    if (rest === 0) this.#starved.delete(pid);
    else this.#starved.set(pid, rest);
    let taken = this.#taken.get(pid);
    if (taken === undefined) this.#taken.set(pid, (taken = new Map()));
    const peers = this.#peers!;
    const relay = new PeerRelay(this.#nextId++, pid, request, since, (m) => peers.send(pid, m), () => {
      taken.delete(request.id);
      if (this.#takenDone && this.#takenCount() === 0) this.#takenDone();
    });
    taken.set(request.id, relay);
    this.#moved.taken++;
    const thread = this.#idle.pop();
    if (thread !== undefined) thread.run(relay);
    else {
      const at = this.#queue.findIndex((r) => r.startedAt > since);
      this.#queue.splice(at === -1 ? this.#queue.length : at, 0, relay);
    }
    this.#pull();
  }

  /** The link with a worker broke: its clients' requests here are abandoned, ours there failed. */
  #peerGone(pid: number): void {
    this.#starved.delete(pid);
    this.#pulls.delete(pid);
    const taken = this.#taken.get(pid);
    this.#taken.delete(pid);
    for (const relay of taken?.values() ?? []) relay.gone();
    if (this.#takenDone && this.#takenCount() === 0) this.#takenDone(); // nobody waits on those answers any more
    const passed = this.#passed.get(pid);
    this.#passed.delete(pid);
    for (const relay of passed?.values() ?? []) {
      relay.fail(new CorralError('CORRAL_ERR_HANDLER', `The worker (pid:${pid}) running this request on one of its threads went away.`));
    }
    this.#pull();
  }

  #takenCount(): number {
    let n = 0;
    for (const m of this.#taken.values()) n += m.size;
    return n;
  }

  /** Waits (up to the deadline) for the requests other workers passed here to finish. */
  async #drainTaken(deadlineMs: number): Promise<void> {
    if (this.#takenCount() === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#takenDone = resolve;
      timer = setTimeout(resolve, deadlineMs);
    });
    clearTimeout(timer);
    this.#takenDone = null;
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
