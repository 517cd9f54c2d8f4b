// Decides which workers hold more than their share of the open connections, and how many they may keep. Master only.

/** A worker as the balancer sees it: what it last reported and the limit it was last sent. */
export interface Holding {
  open: number;
  balanceLimit: number | null;
}

/**
 * After telling a worker to shed connections, the counts are in flux for a moment: the shed clients
 * reconnect, and the workers report their new counts up to 100 ms later. No further shedding is
 * decided on those in-between counts (they undercount the total, so the mean looks lower than it is,
 * and a worker would shed again what it should keep).
 */
export const SETTLE_MS = 500;

/** The surplus a worker may hold over the mean before it is told to shed: 10 % of the mean, rounded down. */
export function tolerance(fair: number): number {
  return Math.floor(fair / 10);
}

/**
 * The connection limit for each serving worker: a worker above the mean by more than the tolerance
 * gets `fair + tolerance` (it stops accepting and sheds the surplus), and keeps a limit until it is
 * back at the mean, so it does not flap at the edge; every other worker gets none. A worker is only
 * limited while some other worker is under the mean and has room (`capacity`), so limits never
 * leave every worker refusing connections. With `mayShed` false, no limit goes down (a worker keeps
 * the limit it has), so nothing new is shed.
 *
 * @example
 * balanceLimits([{ open: 48, balanceLimit: null }, { open: 16, balanceLimit: null }], 1000); // [35, null]
 */
export function balanceLimits(workers: readonly Holding[], capacity: number, mayShed = true): Array<number | null> {
  if (workers.length < 2) return workers.map(() => null);
  const total = workers.reduce((sum, w) => sum + w.open, 0);
  const fair = Math.ceil(total / workers.length);
  const ceiling = fair + tolerance(fair);
  return workers.map((w) => {
    const over = w.open > ceiling || (w.balanceLimit !== null && w.open > fair);
    const room = workers.some((o) => o !== w && o.open < fair && o.open < capacity);
    const limit = over && room ? ceiling : null;
    if (mayShed || limit === null) return limit;
    return w.balanceLimit === null ? (limit >= w.open ? limit : null) : Math.max(limit, w.balanceLimit);
  });
}

/** Applies balanceLimits to the serving workers, with at most one round of shedding per SETTLE_MS. */
export class Balancer<W extends Holding & { setBalanceLimit(limit: number | null): void }> {
  readonly #capacity: number;
  #lastShedAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;
  #workers: () => W[];

  constructor(capacity: number, workers: () => W[]) {
    this.#capacity = capacity;
    this.#workers = workers;
  }

  update(now = performance.now()): void {
    const serving = this.#workers();
    const mayShed = now - this.#lastShedAt >= SETTLE_MS;
    const limits = balanceLimits(serving, this.#capacity, mayShed);
    let shed = false;
    serving.forEach((w, i) => {
      const limit = limits[i]!;
      if (limit !== null && limit < w.open && limit !== w.balanceLimit) shed = true;
      w.setBalanceLimit(limit);
    });
    if (shed) this.#lastShedAt = now;
    // Counts may stay still after shedding (keep-alive clients settled): look again once settled.
    if ((shed || !mayShed) && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.update();
      }, SETTLE_MS);
      this.#timer.unref();
    }
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
