// Writes and removes the master's pidfile. Master only.
import fs from 'node:fs';
import path from 'node:path';
import { CorralError } from '../errors.js';

export class Pidfile {
  readonly path: string;

  constructor(file: string) {
    this.path = path.resolve(file);
  }

  /** Writes our pid; refuses when the file names another process that is still running. */
  create(pid: number): void {
    const existing = this.#read();
    if (existing !== null && existing !== pid && isRunning(existing)) {
      throw new CorralError('CORRAL_ERR_PIDFILE', `pidfile ${this.path} names pid ${existing}, which is still running; is corral already running?`);
    }
    try {
      fs.writeFileSync(this.path, `${pid}\n`);
    } catch (err) {
      throw new CorralError('CORRAL_ERR_PIDFILE', `cannot write pidfile ${this.path}: ${(err as Error).message}`);
    }
  }

  /** Removes the file if it still holds our pid (a newer master may have taken it over). */
  remove(pid: number): void {
    if (this.#read() === pid) fs.rmSync(this.path, { force: true });
  }

  #read(): number | null {
    try {
      const n = Number(fs.readFileSync(this.path, 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
