// Delays respawning workers that keep crashing soon after they boot. Master only.

/** A worker that ran at least this long after booting is not part of a crash loop. */
const STABLE_MS = 10_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 15_000;

export class CrashBackoff {
  #streak = 0;
  #notBefore = 0;

  /** Records an unexpected exit; returns how long the replacement waits (0 for an isolated crash). */
  recordCrash(now: number, bootedAt: number | null): number {
    const lived = bootedAt === null ? 0 : now - bootedAt;
    this.#streak = lived >= STABLE_MS ? 0 : this.#streak + 1;
    const delay = this.#streak <= 1 ? 0 : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.#streak - 2));
    this.#notBefore = Math.max(this.#notBefore, now + delay);
    return delay;
  }

  /** How long spawning must still wait. */
  delayMs(now: number): number {
    return Math.max(0, this.#notBefore - now);
  }
}
