// The messages that cross between the master and a worker over the IPC channel. Used by both processes.
import type { Config } from '../config/registry.js';
import type { BindAddress } from '../config/bind-address.js';

/** A listener as the worker needs it; the socket handle itself travels with the message. */
export interface ListenerInfo {
  index: number;
  address: BindAddress;
  /** How the address reads in logs. */
  url: string;
}

/** Master -> worker. */
export type MasterMessage =
  /** `peerDir`: where the thread class's workers put their peer sockets (--share-threads), or null. */
  | { type: 'corral:config'; config: Config; workerId: number; listenerCount: number; peerDir: string | null }
  /** The workers serving now, by pid (sent to thread-class workers with --share-threads, on change). */
  | { type: 'corral:peers'; pids: number[] }
  | { type: 'corral:listener'; listener: ListenerInfo }
  /** The most connections the worker should hold for balance (it sheds the surplus), or null for no such limit. */
  | { type: 'corral:balance'; limit: number | null }
  /** SIGUSR1 reached the master: reopen the log file (it was rotated). */
  | { type: 'corral:reopen-logs' };

/** Worker -> master. */
export type WorkerMessage =
  | { type: 'corral:heartbeat' }
  | { type: 'corral:booted'; app: string }
  | { type: 'corral:listeners-request' }
  /** How many client connections the worker holds open now (sent at most every 100 ms, on change). */
  | { type: 'corral:connections'; open: number };

export const MESSAGE_PREFIX = 'corral:';

export function isCorralMessage<T extends { type: string }>(msg: unknown): msg is T {
  return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' &&
    (msg as { type: string }).type.startsWith(MESSAGE_PREFIX);
}

/**
 * Names the file descriptor on which a worker's watchdog thread writes one line each time it has
 * logged why the worker is stuck; the master waits briefly for that line before killing it.
 */
export const WATCHDOG_FD_ENV = 'CORRAL_WATCHDOG_FD';
