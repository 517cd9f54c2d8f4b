// The master's view of one worker process: spawn, messages, heartbeat, signals. Master only.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/registry.js';
import { isCorralMessage, WATCHDOG_FD_ENV, type MasterMessage, type WorkerMessage } from '../ipc/messages.js';
import type { Listener } from './listeners.js';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.js', import.meta.url));
const WATCHDOG_FD = 4;

/** booting: forked, app not yet serving. running: serving. stopping: told to stop. */
export type WorkerState = 'booting' | 'running' | 'stopping';

export interface WorkerEvents {
  onMessage(worker: WorkerHandle, msg: WorkerMessage): void;
  onExit(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void;
  onStuckReport(worker: WorkerHandle): void;
}

export class WorkerHandle {
  readonly id: number;
  readonly child: ChildProcess;
  readonly pid: number;
  /**
   * When it was spawned. Every time the master keeps (here, in the arbiter, the balancer and the
   * crash backoff) is performance.now(): a wall-clock step (NTP at a VM's start) must not look like
   * silence, a boot that took too long, or a stop deadline that passed.
   */
  readonly spawnedAt = performance.now();
  state: WorkerState = 'booting';
  bootedAt: number | null = null;
  lastHeartbeat = performance.now();
  exited = false;
  /** When the worker's watchdog last said it logged a stuck-worker report. */
  stuckReportedAt = 0;
  /** When the master found this worker past --timeout (it waits briefly for the report). */
  timedOutAt = 0;
  /** Why the master stopped this worker, when it did: said again when the worker is reaped. */
  stopReason: string | null = null;
  /** Client connections the worker holds, as it last reported (workers report only with --rebalance). */
  open = 0;
  /** The balance limit last sent to the worker (null: none). */
  balanceLimit: number | null = null;
  /** When the master SIGKILLs this worker if it is still running (a stop's deadline); Infinity: never. */
  killAt = Infinity;
  /** Why, said in the log when the SIGKILL at `killAt` is sent. */
  killAtReason = '';
  /** The reload (SIGHUP) that spawned it; 0 for the workers spawned at start. */
  readonly generation: number;

  constructor(id: number, generation: number, config: Config, listeners: readonly Listener[], peerDir: string | null, events: WorkerEvents) {
    this.id = id;
    this.generation = generation;
    this.child = fork(WORKER_MAIN, [], {
      // fd 4: the worker's watchdog thread says here that it has logged why the worker is stuck
      // (a worker thread cannot use the IPC channel, and the main thread is the stuck one).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
      env: { ...process.env, [WATCHDOG_FD_ENV]: String(WATCHDOG_FD) },
      serialization: 'json',
    });
    this.pid = this.child.pid ?? -1;
    this.child.stdio[WATCHDOG_FD]?.on('data', () => {
      this.stuckReportedAt = performance.now();
      events.onStuckReport(this);
    });
    this.child.on('message', (msg) => {
      if (!isCorralMessage<WorkerMessage>(msg)) return;
      if (msg.type === 'corral:heartbeat') this.lastHeartbeat = performance.now();
      else if (msg.type === 'corral:listeners-request') this.sendListeners(listeners);
      else events.onMessage(this, msg);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      events.onExit(this, code, signal);
    });
    // A send to a worker that just died fails with EPIPE; its exit event tells the story.
    this.child.on('error', () => undefined);
    this.#send({ type: 'corral:config', config, workerId: id, listenerCount: listeners.length, peerDir });
    this.sendListeners(listeners);
  }

  /** Sends every listening socket; a worker asks again after it stopped accepting for a while. */
  sendListeners(listeners: readonly Listener[]): void {
    listeners.forEach((l, index) => {
      const msg: MasterMessage = { type: 'corral:listener', listener: { index, address: l.address, url: l.url } };
      if (this.child.connected) this.child.send(msg, l.handle as never, () => undefined);
    });
  }

  /** Tells the worker how many connections it may hold for balance, when that changed. */
  setBalanceLimit(limit: number | null): void {
    if (limit === this.balanceLimit) return;
    this.balanceLimit = limit;
    this.#send({ type: 'corral:balance', limit });
  }

  /** Tells a thread-class worker which workers serve now (--share-threads). */
  setPeers(pids: number[]): void {
    this.#send({ type: 'corral:peers', pids });
  }

  #send(msg: MasterMessage): void {
    if (this.child.connected) this.child.send(msg, () => undefined);
  }

  /** Tells the master's view of the worker's logs to reopen (SIGUSR1: after log rotation). */
  reopenLogs(): void {
    this.#send({ type: 'corral:reopen-logs' });
  }

  /**
   * Asks the worker to stop with `signal` and to be gone by `deadline` (performance.now() ms), when
   * the master SIGKILLs it for `reason`. An earlier deadline already set is kept.
   */
  stop(signal: NodeJS.Signals, deadline: number, reason: string): void {
    this.state = 'stopping';
    if (deadline < this.killAt) {
      this.killAt = deadline;
      this.killAtReason = reason;
    }
    this.kill(signal);
  }

  isBooted(): boolean {
    return this.bootedAt !== null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone; the exit event follows
    }
  }

  /** Seconds since the last heartbeat, `now` from performance.now(). */
  silentFor(now: number): number {
    return (now - this.lastHeartbeat) / 1000;
  }
}
