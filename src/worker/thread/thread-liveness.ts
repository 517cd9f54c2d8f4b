// Watches each app thread's liveness clock: a WARNING with the stack past --blocked-warning, and past --timeout a report before the thread is replaced. Worker process, main thread.
import type { Logger } from '../../log/logger.js';
import type { AppThread } from './app-thread.js';
import { BEAT_MS } from './app-thread.js';
import { captureThreadStack } from './thread-stack.js';

export interface LivenessOptions {
  /** Seconds a thread's event loop may stay blocked before it is terminated; 0: never. */
  timeout: number;
  /** Seconds before a blocked thread is reported with a WARNING; 0: never. */
  blockedWarning: number;
  log: Logger;
  threads: () => Iterable<AppThread>;
  /** Terminates and replaces the thread (called after its report is logged). */
  stuck: (thread: AppThread, blockedMs: number) => void;
}

type Level = 'warning' | 'error';

interface Watch {
  /** The request a WARNING was logged for (-1: a blocked episode with no request). */
  warnedFor: number | undefined;
  reporting: boolean;
}

/**
 * The same liveness rule as a worker's, one level down: a thread is stuck when its event loop has not
 * turned for `timeout` seconds — a long request that waits on I/O never is. The main thread is free
 * while an app thread is blocked, so it checks the clocks itself and reads the stack through the
 * inspector; nothing runs on the request path.
 */
export class ThreadLiveness {
  readonly #opts: LivenessOptions;
  readonly #watches = new WeakMap<AppThread, Watch>();
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: LivenessOptions) {
    this.#opts = opts;
  }

  start(): void {
    if (this.#opts.timeout <= 0 && this.#opts.blockedWarning <= 0) return;
    this.#timer = setInterval(() => this.#check(), BEAT_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #check(): void {
    const now = Date.now();
    const errorAfterMs = this.#opts.timeout * 1000;
    const warnAfterMs = this.#opts.blockedWarning * 1000;
    for (const thread of this.#opts.threads()) {
      if (thread.state !== 'idle' && thread.state !== 'busy') continue;
      const blockedMs = now - thread.beat[0]!;
      const watch = this.#watch(thread);
      if (blockedMs < BEAT_MS * 3) {
        if (thread.relay === null) watch.warnedFor = undefined;
        continue;
      }
      if (watch.reporting) continue;
      const request = thread.relay?.id ?? -1;
      if (errorAfterMs > 0 && blockedMs >= errorAfterMs) this.#report(thread, watch, 'error', blockedMs);
      else if (warnAfterMs > 0 && blockedMs >= warnAfterMs && watch.warnedFor !== request) {
        watch.warnedFor = request;
        this.#report(thread, watch, 'warning', blockedMs);
      }
    }
  }

  #watch(thread: AppThread): Watch {
    let watch = this.#watches.get(thread);
    if (watch === undefined) {
      watch = { warnedFor: undefined, reporting: false };
      this.#watches.set(thread, watch);
    }
    return watch;
  }

  #report(thread: AppThread, watch: Watch, level: Level, blockedMs: number): void {
    watch.reporting = true;
    const { log } = this.#opts;
    // The request that was running when the block was seen: the thread may have moved on to the
    // next one by the time the stack is read and the report written.
    const request = requestLine(thread.relay);
    captureThreadStack(thread.id)
      .then(
        // Blocked at least as long as when it was seen; longer if it still is (reading the stack took a while).
        (frames) => log.log(level, this.#describe(thread, level, Math.max(blockedMs, Date.now() - thread.beat[0]!), frames, request)),
        (err: Error) => log.log(level, `${this.#headline(thread, level, blockedMs)}; its stack could not be read: ${err.message}\n${request}`),
      )
      .finally(() => {
        watch.reporting = false;
        if (level === 'error' && thread.state !== 'exited' && thread.state !== 'retired') this.#opts.stuck(thread, Date.now() - thread.beat[0]!);
      });
  }

  #headline(thread: AppThread, level: Level, blockedMs: number): string {
    const s = (blockedMs / 1000).toFixed(1);
    const who = `Worker (pid:${process.pid}) app thread ${thread.id}`;
    return level === 'error'
      ? `${who} stuck for ${s} s (--timeout ${this.#opts.timeout} s); terminating it and starting another`
      : `${who} event loop blocked for ${s} s (--blocked-warning ${this.#opts.blockedWarning} s)`;
  }

  #describe(thread: AppThread, level: Level, blockedMs: number, frames: string[], request: string): string {
    const lines = [this.#headline(thread, level, blockedMs)];
    if (frames.length > 0) lines.push('  JavaScript stack of the blocked code:', ...frames.slice(0, 30).map((f) => `    ${f}`));
    else lines.push('  No JavaScript was running: the thread is blocked in native code or a synchronous system call.');
    lines.push(request);
    return lines.join('\n');
  }
}

function requestLine(relay: AppThread['relay']): string {
  if (relay === null) return '  No request in flight on this thread.';
  const age = ((Date.now() - relay.startedAt) / 1000).toFixed(1);
  return `  Request on this thread:\n    ${relay.req.method ?? '?'} ${relay.req.url ?? '?'} (${age} s)`;
}
