// The master's view of one worker process: spawn, messages, heartbeat, signals. Master only.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/registry.js';
import { isCorralMessage, type MasterMessage, type WorkerMessage } from '../ipc/messages.js';
import type { Listener } from './listeners.js';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.js', import.meta.url));

/** booting: forked, app not yet serving. running: serving. stopping: told to stop. */
export type WorkerState = 'booting' | 'running' | 'stopping';

export interface WorkerEvents {
  onMessage(worker: WorkerHandle, msg: WorkerMessage): void;
  onExit(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void;
}

export class WorkerHandle {
  readonly id: number;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly spawnedAt = Date.now();
  state: WorkerState = 'booting';
  bootedAt: number | null = null;
  lastHeartbeat = Date.now();
  exited = false;
  /** Why the master stopped this worker, when it did: said again when the worker is reaped. */
  stopReason: string | null = null;

  constructor(id: number, config: Config, listeners: readonly Listener[], events: WorkerEvents) {
    this.id = id;
    this.child = fork(WORKER_MAIN, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
      env: { ...process.env, UV_TCP_SINGLE_ACCEPT: '1' },
      serialization: 'json',
    });
    this.pid = this.child.pid ?? -1;
    this.child.on('message', (msg) => {
      if (!isCorralMessage<WorkerMessage>(msg)) return;
      if (msg.type === 'corral:heartbeat') this.lastHeartbeat = Date.now();
      else if (msg.type === 'corral:listeners-request') this.sendListeners(listeners);
      else events.onMessage(this, msg);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      events.onExit(this, code, signal);
    });
    // A send to a worker that just died fails with EPIPE; its exit event tells the story.
    this.child.on('error', () => undefined);
    this.#send({ type: 'corral:config', config, workerId: id, listenerCount: listeners.length });
    this.sendListeners(listeners);
  }

  /** Sends every listening socket; a worker asks again after it stopped accepting for a while. */
  sendListeners(listeners: readonly Listener[]): void {
    listeners.forEach((l, index) => {
      const msg: MasterMessage = { type: 'corral:listener', listener: { index, address: l.address, url: l.url } };
      if (this.child.connected) this.child.send(msg, l.handle as never, () => undefined);
    });
  }

  #send(msg: MasterMessage): void {
    if (this.child.connected) this.child.send(msg, () => undefined);
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

  /** Seconds since the last heartbeat. */
  silentFor(now: number): number {
    return (now - this.lastHeartbeat) / 1000;
  }
}
