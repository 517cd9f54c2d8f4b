// Lending a worker's app threads to the other thread-class workers of the server and borrowing theirs (--share-threads). Worker process, main thread.
import { CorralError } from '../../errors.js';
import { describeError, type Logger } from '../../log/logger.js';
import { MainRelay } from './main-relay.js';
import { PeerNetwork } from './peer-network.js';
import { PeerRelay } from './peer-relay.js';
import { deserializeError, PeerTag, Tag, type PeerMessage, type RequestMessage } from './protocol.js';

/** While requests wait here, how often the other workers hear how long the oldest has waited. */
const AGE_REPORT_MS = 50;
/**
 * A worker with requests of its own waiting still takes one from another worker whose oldest has
 * waited this much longer than its own (the other's report may be up to AGE_REPORT_MS stale, and
 * older than the truth: it never makes a younger request look older).
 */
const STEAL_MARGIN_MS = 50;

/** What sharing needs from this worker's thread pool. */
export interface SharingPool {
  /** This worker's oldest request still waiting for a thread that may be passed on (its own, alive). */
  oldestOwn(): MainRelay | undefined;
  /** Takes that request out of the queue: another worker runs it. */
  unqueue(relay: MainRelay): void;
  /** Requests waiting here for a thread. */
  readonly waiting: number;
  /** Threads with nothing to do. */
  readonly idle: number;
  /** A request another worker passed: an idle thread runs it, else it waits in arrival order. */
  admit(relay: PeerRelay): void;
  /** A request id of this worker's, never used before. */
  nextId(): number;
}

/**
 * A worker whose own requests wait tells the others, and how long its oldest has waited (STARVED,
 * every AGE_REPORT_MS while any waits). A worker asks one of them for a request (PULL) when it has
 * an idle thread and nothing of its own waiting, or when that worker's oldest request has waited
 * STEAL_MARGIN_MS longer than its own oldest; the asked worker passes its oldest waiting one (PASS;
 * its MainRelay now posts to the link instead of a thread) or answers NONE. So the workers serve
 * their waiting requests about in arrival order, as one queue would. A request passed once is never
 * passed again; with nothing waiting anywhere nothing is sent, and under even load only the age
 * reports are.
 */
export class ThreadSharing {
  readonly #log: Logger;
  readonly #pool: SharingPool;
  readonly #network: PeerNetwork;
  /**
   * 'stopping': the graceful stop began, so this worker takes no more requests from other workers
   * (it still passes its own on); 'closed': the links are closed, nothing is sent any more.
   */
  #state: 'sharing' | 'stopping' | 'closed' = 'sharing';
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

  constructor(dir: string, log: Logger, pool: SharingPool) {
    this.#log = log;
    this.#pool = pool;
    this.#network = new PeerNetwork({
      dir,
      log,
      onMessage: (pid, msg) => this.#onPeerMessage(pid, msg),
      onGone: (pid) => this.#peerGone(pid),
    });
  }

  /** Listens for the other workers; false (with a warning logged) if this worker cannot share. */
  async listen(): Promise<boolean> {
    try {
      await this.#network.listen();
      return true;
    } catch (err) {
      this.#log.warning(`Worker (pid:${process.pid}) cannot share its threads with the other workers: ${describeError(err)}`);
      return false;
    }
  }

  /** The workers serving now (from the master). */
  setPeers(pids: readonly number[]): void {
    this.#network.setPeers(pids);
    for (const pid of this.#starved.keys()) if (!pids.includes(pid)) this.#starved.delete(pid);
    // A worker that just started has not heard that requests wait here.
    if (this.#ageTimer !== null) this.#reportAge(true);
    else if (this.#pool.oldestOwn() !== undefined) this.requestsWait();
    this.threadIdle();
  }

  /** The graceful stop began: take no more requests from other workers (passing ours on is fine). */
  stop(): void {
    if (this.#state === 'sharing') this.#state = 'stopping';
  }

  /** Closes the links once the requests other workers passed here are done (or the deadline passed). */
  async close(deadlineMs: number): Promise<void> {
    this.stop();
    // Their clients are waiting on those workers.
    await this.#drainTaken(deadlineMs);
    this.#state = 'closed';
    this.#stopAgeReports();
    this.#log.debug(`Worker (pid:${process.pid}) passed ${this.#moved.passed} requests to other workers' threads and ran ${this.#moved.taken} of theirs`);
    this.#network.close();
  }

  /** A request of this worker's has to wait for a thread: tell the others, then how long, until they stop. */
  requestsWait(): void {
    if (this.#ageTimer !== null || this.#state === 'closed' || this.#network.peers.length === 0) return;
    this.#reportAge(true);
    this.#ageTimer = setInterval(() => this.#reportAge(false), AGE_REPORT_MS);
    this.#ageTimer.unref();
  }

  /**
   * A thread here is about to start a waiting request that arrived at `oldest`: if another worker's
   * oldest has waited clearly longer, ask for it too (it joins this queue in arrival order, ahead).
   */
  startingWaiting(oldest: number): void {
    if (this.#state !== 'sharing' || this.#starved.size === 0) return;
    let target = 0;
    let since = oldest - STEAL_MARGIN_MS;
    for (const [pid, arrived] of this.#starved) {
      if (arrived < since && !this.#pulls.has(pid)) [target, since] = [pid, arrived];
    }
    if (target === 0) return;
    this.#pulls.set(target, 1);
    this.#network.send(target, { p: PeerTag.PULL });
  }

  /** Threads are idle and nothing waits here: ask workers where requests wait for one each. */
  threadIdle(): void {
    if (this.#state !== 'sharing' || this.#starved.size === 0 || this.#pool.waiting > 0) return;
    let asked = 0;
    for (const n of this.#pulls.values()) asked += n;
    let spare = this.#pool.idle - asked;
    while (spare > 0) {
      // The waiting worker asked least so far, so two idle threads ask two workers.
      let target = 0;
      let least = Infinity;
      for (const pid of this.#starved.keys()) {
        const n = this.#pulls.get(pid) ?? 0;
        if (n < least) [target, least] = [pid, n];
      }
      this.#pulls.set(target, least + 1);
      this.#network.send(target, { p: PeerTag.PULL });
      spare--;
    }
  }

  #onPeerMessage(pid: number, msg: PeerMessage): void {
    switch (msg.p) {
      case PeerTag.STARVED:
        this.#starved.set(pid, msg.oldest);
        return this.threadIdle();
      case PeerTag.PASS:
        return this.#take(pid, msg.m, msg.since, msg.rest);
      case PeerTag.PULL:
        return this.#pass(pid);
      case PeerTag.NONE:
        this.#starved.delete(pid);
        this.#pullAnswered(pid);
        return this.threadIdle();
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

  /** Sends the oldest waiting request's arrival time, when it changed (or always). */
  #reportAge(always: boolean): void {
    const oldest = this.#pool.oldestOwn()?.startedAt ?? 0;
    if (oldest === 0 || (!always && oldest === this.#reportedOldest)) return;
    this.#reportedOldest = oldest;
    for (const pid of this.#network.peers) this.#network.send(pid, { p: PeerTag.STARVED, oldest });
  }

  /** The other workers no longer think requests wait here (NONE or PASS with rest 0 told them). */
  #stopAgeReports(): void {
    if (this.#ageTimer) clearInterval(this.#ageTimer);
    this.#ageTimer = null;
  }

  #pullAnswered(pid: number): void {
    const n = (this.#pulls.get(pid) ?? 0) - 1;
    if (n > 0) this.#pulls.set(pid, n);
    else this.#pulls.delete(pid);
  }

  /** Another worker asks: pass it the oldest request of ours still waiting, with the next one's arrival. */
  #pass(pid: number): void {
    const network = this.#network;
    const relay = this.#pool.oldestOwn();
    if (relay === undefined) {
      this.#stopAgeReports();
      return network.send(pid, { p: PeerTag.NONE });
    }
    this.#pool.unqueue(relay);
    const rest = this.#pool.oldestOwn()?.startedAt ?? 0;
    if (rest === 0) this.#stopAgeReports();
    let passed = this.#passed.get(pid);
    if (passed === undefined) this.#passed.set(pid, (passed = new Map()));
    passed.set(relay.id, relay);
    this.#moved.passed++;
    relay.start(
      (m) => network.send(pid, m.t === Tag.REQUEST ? { p: PeerTag.PASS, m, since: relay.startedAt, rest } : { p: PeerTag.THREAD, m }),
      () => passed.delete(relay.id),
    );
  }

  /**
   * A request another worker passed: it runs here like one of ours (it was asked for because it had
   * waited longest). `rest`: when that worker's next one arrived.
   */
  #take(pid: number, request: RequestMessage, since: number, rest: number): void {
    this.#pullAnswered(pid);
    if (rest === 0) this.#starved.delete(pid);
    else this.#starved.set(pid, rest);
    let taken = this.#taken.get(pid);
    if (taken === undefined) this.#taken.set(pid, (taken = new Map()));
    const network = this.#network;
    const relay = new PeerRelay(this.#pool.nextId(), pid, request, since, (m) => network.send(pid, m), () => {
      taken.delete(request.id);
      if (this.#takenDone && this.#takenCount() === 0) this.#takenDone();
    });
    taken.set(request.id, relay);
    this.#moved.taken++;
    this.#pool.admit(relay);
    this.threadIdle();
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
    this.threadIdle();
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
}
