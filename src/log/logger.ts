// The error log, in Gunicorn's format ("[time] [pid] [LEVEL] message"). Used by the master and by workers.
import fs from 'node:fs';
import { LOG_LEVELS, type LogLevel } from '../config/registry.js';
import { CorralError } from '../errors.js';

const LABEL: Record<LogLevel, string> = {
  debug: 'DEBUG',
  info: 'INFO',
  warning: 'WARNING',
  error: 'ERROR',
  critical: 'CRITICAL',
};

export interface LoggerOptions {
  level: LogLevel;
  /** A file path, or '-' for standard error. */
  file: string;
  /**
   * Write standard error with a direct system call instead of process.stderr. A worker thread needs
   * this: its process.stderr goes through the main thread, which may be the one that is stuck.
   * A direct logger also follows log rotation by itself (as Python's WatchedFileHandler does): before
   * each line it checks that its file is still the one at the path, and reopens it if not, since
   * the SIGUSR1 that tells a process to reopen its logs reaches only its main thread.
   */
  direct?: boolean;
}

let stderrGuarded = false;

/**
 * A write to standard error that fails (a pipe whose reader went away: EPIPE) is reported as an
 * 'error' event, which would end the process (the master, with all its workers) for a log line.
 */
function ignoreStderrErrors(): void {
  if (stderrGuarded) return;
  stderrGuarded = true;
  process.stderr.on('error', () => undefined);
}

/**
 * Writes one line per message. Writes are synchronous so that a message logged just before a
 * process exits (a crash, a halt) is never lost; the error log is low-volume by design.
 */
export class Logger {
  #min: number;
  #file: string;
  #fd: number | null = null;
  readonly #direct: boolean;

  constructor(opts: LoggerOptions) {
    this.#min = LOG_LEVELS.indexOf(opts.level);
    this.#file = opts.file;
    this.#direct = opts.direct ?? false;
    this.reopen();
  }

  /** The file it writes to, '-' for standard error. */
  get file(): string {
    return this.#file;
  }

  /** Reopens the log file (after log rotation moved it away). Throws if it cannot, keeping the old one. */
  reopen(): void {
    if (this.#file === '-') {
      if (this.#direct) this.#fd = 2;
      return;
    }
    const old = this.#fd;
    this.#fd = fs.openSync(this.#file, 'a');
    if (old !== null && old !== 2) fs.closeSync(old);
  }

  /**
   * SIGUSR1's reopen in a master or worker: a file that cannot be opened any more is reported (in
   * the old file, still open) rather than thrown, so the process carries on. Says whether it worked.
   */
  reopenOrReport(): boolean {
    try {
      this.reopen();
      return true;
    } catch (err) {
      this.error(`Cannot reopen --error-logfile ${this.#file}: ${(err as Error).message}; still writing to the file open before`);
      return false;
    }
  }

  /** Reopens the file if the path now names another file (rotated) or none; on failure keeps writing where it was. */
  #followRotation(fd: number): void {
    try {
      const atPath = fs.statSync(this.#file, { throwIfNoEntry: false });
      const open = fs.fstatSync(fd);
      if (atPath && atPath.ino === open.ino && atPath.dev === open.dev) return;
      this.reopen();
    } catch {
      // the directory is gone or unwritable: the old file still takes the line
    }
  }

  isEnabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.#min;
  }

  log(level: LogLevel, message: string): void {
    if (!this.isEnabled(level)) return;
    const line = `[${timestamp(new Date())}] [${process.pid}] [${LABEL[level]}] ${message}\n`;
    if (this.#direct && this.#fd !== null && this.#fd !== 2) this.#followRotation(this.#fd);
    if (this.#fd === null) {
      ignoreStderrErrors();
      process.stderr.write(line);
    } else {
      try {
        fs.writeSync(this.#fd, line);
      } catch {
        // the reader of a pipe went away (EPIPE), the disk is full: the line is lost, the process is not
      }
    }
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warning(message: string): void {
    this.log('warning', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
  critical(message: string): void {
    this.log('critical', message);
  }
}

/** `2026-11-29 21:30:00 +0000`, in local time like Gunicorn. */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const tz = `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${tz}`;
}

/**
 * An error's stack (or message), with its cause chain. A CorralError shows its message only: its
 * own stack is corral's internals, while its cause (the app's error) carries the stack that matters.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let text = err instanceof CorralError ? err.message : (err.stack ?? `${err.name}: ${err.message}`);
  if (err.cause !== undefined && err.cause !== err) text += `\nCaused by: ${describeError(err.cause)}`;
  return text;
}
