// Starts the watchdog thread and keeps its view of the event loop fresh. Worker process (main thread).
import { Worker } from 'node:worker_threads';
import type { LoggerOptions } from '../log/logger.js';
import { tickEvery } from './coarse-clock.js';
import { heartbeatIntervalMs } from './heartbeat.js';

/** A request as the watchdog reports it. */
export interface InflightRequest {
  method: string;
  url: string;
  ageMs: number;
}

export interface WatchdogData {
  beat: SharedArrayBuffer;
  beatMs: number;
  warnAfterMs: number;
  errorAfterMs: number;
  timeout: number;
  log: LoggerOptions;
  /** The master's pid: if the worker's parent changes while its event loop is blocked, the master died. */
  masterPid: number;
}

const INFLIGHT_KEY = 'corral.inflight';
/** Evaluated inside the paused main thread to list its requests in flight. */
export const INFLIGHT_EXPRESSION = `globalThis[Symbol.for(${JSON.stringify(INFLIGHT_KEY)})]?.()`;

/** The sooner of the warning and the error thresholds that are on (0 is off); Infinity if neither is. */
export function shortestThresholdMs(warnAfterMs: number, errorAfterMs: number): number {
  return Math.min(...[warnAfterMs, errorAfterMs].filter((t) => t > 0));
}

/**
 * How often the main thread stamps the shared clock: a quarter of the shortest threshold (the
 * warning or the error), between 25 and 250 ms. The default 1 s warning gives 250 ms, so an idle
 * worker wakes about five times a second for its watchdog (four stamps on the main thread, about
 * one read on the watchdog thread, which sleeps until something can be due; a 100 ms clock read
 * twice per stamp cost about 0.5 % of a core per idle worker), and a stale stamp is still noticed
 * well before any threshold.
 */
export function beatIntervalMs(warnAfterMs: number, errorAfterMs: number): number {
  const shortest = shortestThresholdMs(warnAfterMs, errorAfterMs);
  return Math.min(250, Math.max(25, Math.floor(shortest / 4)));
}

/**
 * The main thread stamps a shared clock (see beatIntervalMs); the watchdog thread reads it and, when the
 * stamp is stale, pauses the main thread through the inspector to log what it is running. Nothing
 * runs on the request path, and the inspector's debugger is only enabled while a stack is read.
 */
export class Watchdog {
  #thread: Worker | null = null;

  start(opts: { timeout: number; blockedWarning: number; log: LoggerOptions; inflight: () => InflightRequest[] }): void {
    const errorAfterMs = opts.timeout > 0 ? opts.timeout * 1000 - 1.5 * heartbeatIntervalMs(opts.timeout) : 0;
    const warnAfterMs = opts.blockedWarning * 1000;
    if (errorAfterMs <= 0 && warnAfterMs <= 0) return;
    const beatMs = beatIntervalMs(warnAfterMs, errorAfterMs);
    const beat = new Float64Array(new SharedArrayBuffer(8));
    // The worker's coarse clock ticks at least this often now, and each tick stamps the shared one.
    tickEvery(beatMs, (now) => {
      beat[0] = now;
    });
    (globalThis as Record<symbol, unknown>)[Symbol.for(INFLIGHT_KEY)] = () => JSON.stringify(opts.inflight());
    const data: WatchdogData = {
      beat: beat.buffer as SharedArrayBuffer, beatMs, warnAfterMs, errorAfterMs, timeout: opts.timeout, log: opts.log, masterPid: process.ppid,
    };
    this.#thread = new Worker(new URL('./watchdog-thread.js', import.meta.url), { workerData: data, stdout: false, stderr: false });
    this.#thread.unref();
    this.#thread.on('error', () => undefined);
  }

  stop(): void {
    void this.#thread?.terminate();
  }
}
