// Test helper: runs the real corral CLI as a child process and watches its log. Test process only.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Wait for this log pattern before resolving; default the master's "Ready:" line. Null waits for nothing. */
  waitFor?: RegExp | null;
  /** Deadline for the wait, in ms. */
  timeoutMs?: number;
  /** Add `-b 127.0.0.1:0` unless the args already bind. */
  autoBind?: boolean;
  /** Node executable; defaults to the one running the tests. */
  node?: string;
  /** File descriptors the master inherits as fd 3, 4, ... (for `-b fd://N`). */
  extraFds?: number[];
}

/** A running corral master, its output, and helpers to wait on it. */
export class Corral {
  readonly proc: ChildProcess;
  output = '';
  #waiters: Array<{ re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }> = [];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], opts: StartOptions = {}) {
    this.proc = spawn(opts.node ?? process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, CORRAL_CMD_ARGS: '', WEB_CONCURRENCY: '', PORT: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
      detached: true, // own process group, so cleanup can kill workers too
    });
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.#check();
      if (process.env.CORRAL_TEST_VERBOSE) process.stderr.write(chunk);
    };
    this.proc.stdout!.on('data', onData);
    this.proc.stderr!.on('data', onData);
    // 'close' rather than 'exit': it comes after the output pipes are drained, so none is lost.
    this.exit = once(this.proc, 'close').then(([code, signal]) => ({ code, signal })) as Corral['exit'];
    live.add(this);
    this.exit.then(() => live.delete(this));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      const m = this.output.slice(w.from).match(w.re);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /** Resolves with the first match of `re` in the output (after `from`), or rejects at the deadline. */
  waitFor(re: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpMatchArray> {
    const m = this.output.slice(from).match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re} in corral output:\n${this.output}`));
      }, timeoutMs);
      const done = (mm: RegExpMatchArray) => {
        clearTimeout(timer);
        resolve(mm);
      };
      this.#waiters.push({ re, from, resolve: done });
      this.exit.then(({ code, signal }) => {
        // Give late output a moment to arrive, then fail if still not matched.
        setTimeout(() => {
          if (this.#waiters.some((w) => w.resolve === done)) {
            clearTimeout(timer);
            this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
            reject(new Error(`corral exited (code ${code}, signal ${signal}) before ${re}:\n${this.output}`));
          }
        }, 100);
      });
    });
  }

  /** The first URL the master reports "Listening at:". */
  get url(): string {
    const m = this.output.match(/Listening at: (http:\/\/\S+|unix:\S+)/);
    if (!m) throw new Error(`no "Listening at" line yet:\n${this.output}`);
    return m[1]!;
  }

  /** Worker pids the master has booted so far, in order. */
  get workerPids(): number[] {
    return [...this.output.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  /** Waits for the master to exit, or rejects at the deadline. */
  async waitExit(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`corral did not exit within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `sig` and waits for the master to exit (or rejects at the deadline); `tookMs` from the signal. */
  async signalAndWaitExit(sig: NodeJS.Signals, timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; tookMs: number }> {
    const signalled = Date.now();
    this.signal(sig);
    const exit = await this.waitExit(timeoutMs);
    return { ...exit, tookMs: Date.now() - signalled };
  }

  /** Graceful stop, then the whole process group is killed whatever happened. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.signal('SIGTERM');
      await this.waitExit(timeoutMs).catch(() => undefined);
    }
    killGroup(this.pid);
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

const live = new Set<Corral>();
process.on('exit', () => {
  for (const c of live) killGroup(c.pid);
});

/** Starts corral and waits until it reports ready (or `opts.waitFor`). */
export async function startCorral(args: string[], opts: StartOptions = {}): Promise<Corral> {
  const bound = args.some((a) => a === '-b' || a === '--bind' || a.startsWith('--bind='));
  const full = opts.autoBind === false || bound ? args : [...args, '-b', '127.0.0.1:0'];
  const corral = new Corral(full, opts);
  const waitFor = opts.waitFor === undefined ? /\[INFO\] Ready: / : opts.waitFor;
  if (waitFor) {
    try {
      await corral.waitFor(waitFor, opts.timeoutMs ?? 20_000);
    } catch (err) {
      await corral.stop(2000);
      throw err;
    }
  }
  return corral;
}

/** Runs the CLI to completion (for --check-config, --help, failures) with a deadline. */
export async function runCorral(
  args: string[],
  opts: StartOptions = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const corral = new Corral(args, opts);
  try {
    const { code, signal } = await corral.waitExit(opts.timeoutMs ?? 20_000);
    return { code, signal, output: corral.output };
  } finally {
    killGroup(corral.pid);
  }
}
