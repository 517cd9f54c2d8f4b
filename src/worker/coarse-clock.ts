// The worker's coarse clock: the time read once per tick, for timestamps taken on every request. Worker process (main thread) only.
//
// Date.now() costs more than it looks on a virtual machine (the kvm-clock is read through the vDSO):
// one call per request was 1.5 % of a hello-world request's CPU in a corral worker (`npm run bench --
// cost`, see docs/architecture.md). The per-request timestamps only need to be good to a fraction of
// a second (how long a keep-alive connection has been idle, how old a request in flight is), so the
// worker reads the real clock once per tick and requests read that copy.

/** How often the copy is refreshed by default, and so about how far behind the real time it may be. */
export const CLOCK_TICK_MS = 250;

let now = Date.now();
let every = Infinity;
let timer: NodeJS.Timeout | null = null;
const listeners: Array<(now: number) => void> = [];

/**
 * The time (ms since the epoch) as of the latest tick: behind the real time by at most the tick
 * while the event loop turns, and by however long it has been blocked when it does not.
 */
export function coarseNow(): number {
  return now;
}

/**
 * Keeps the clock ticking at least every `ms` (the shortest period asked for wins), calling
 * `onTick` with the time on every tick from now on. The timer does not keep the process alive.
 */
export function tickEvery(ms: number, onTick?: (now: number) => void): void {
  now = Date.now();
  if (onTick) {
    listeners.push(onTick);
    onTick(now);
  }
  if (ms >= every) return;
  every = ms;
  if (timer) clearInterval(timer);
  timer = setInterval(tick, ms);
  timer.unref();
}

function tick(): void {
  now = Date.now();
  for (const listener of listeners) listener(now);
}
