// Queues the master's signals and wakes the arbiter loop on a signal, an event or a tick. Master only.

// SIGUSR2 is caught only to say it is not supported: its default action would kill the master.
export const MASTER_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGTTIN', 'SIGTTOU', 'SIGUSR1', 'SIGUSR2'] as const;
export type MasterSignal = (typeof MASTER_SIGNALS)[number];

export class SignalQueue {
  #queue: MasterSignal[] = [];
  #wake: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #handlers = new Map<MasterSignal, () => void>();

  install(): void {
    for (const sig of MASTER_SIGNALS) {
      const handler = () => {
        this.#queue.push(sig);
        this.wake();
      };
      this.#handlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  uninstall(): void {
    for (const [sig, handler] of this.#handlers) process.off(sig, handler);
    this.#handlers.clear();
  }

  /** Wakes the loop now (a worker exited, a worker booted). */
  wake(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Wakes the loop after `ms` unless something wakes it sooner. */
  wakeAfter(ms: number): void {
    setTimeout(() => this.wake(), ms).unref();
  }

  /** Resolves with the queued signals at the next wake-up, or empty after `tickMs`. */
  wait(tickMs: number): Promise<MasterSignal[]> {
    return new Promise((resolve) => {
      const done = () => {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = null;
        this.#wake = null;
        resolve(this.#queue.splice(0));
      };
      if (this.#queue.length > 0) return done();
      this.#wake = done;
      this.#timer = setTimeout(done, tickMs);
    });
  }
}
