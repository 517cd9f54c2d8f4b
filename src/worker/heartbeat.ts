// Tells the master this worker's event loop is alive, several times per --timeout. Worker process only.
import type { WorkerMessage } from '../ipc/messages.js';

/** How often a worker tells the master it is alive: a quarter of the timeout, at most once a second. */
export function heartbeatIntervalMs(timeoutSeconds: number): number {
  return timeoutSeconds > 0 ? Math.min(1000, Math.max(50, (timeoutSeconds * 1000) / 4)) : 1000;
}

export class Heartbeat {
  #timer: NodeJS.Timeout | null = null;

  /** Starts beating every quarter of the timeout (at most once a second). */
  start(timeoutSeconds: number): void {
    const every = heartbeatIntervalMs(timeoutSeconds);
    this.beat();
    this.#timer = setInterval(() => this.beat(), every);
    this.#timer.unref();
  }

  beat(): void {
    if (!process.connected) return;
    const msg: WorkerMessage = { type: 'corral:heartbeat' };
    process.send!(msg, undefined, undefined, () => undefined);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
