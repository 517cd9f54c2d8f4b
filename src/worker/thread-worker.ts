// The `thread` worker class: the main thread owns sockets and HTTP parsing, N app threads each run their own instance of the app. Worker process, main thread.
import type { LoadedApp, AppKind } from '../app/load-app.js';
import type { Config } from '../config/registry.js';
import type { Logger } from '../log/logger.js';
import { HttpWorker, atLimitWarning, type WorkerClassOptions } from './http-worker.js';
import { ThreadPool } from './thread/thread-pool.js';

/**
 * For the thread class, the app the worker serves is its pool of app threads: each thread loads the
 * app itself (TypeScript too), and the pool's listener hands every request to an idle thread. It fails
 * as loading the app in the main thread would: with the loader's CorralError (exit code 4).
 *
 * @example
 * const app = await loadAppInThreads(config, log, peerDir); // instead of loadApp() for `-k thread`
 * createWorkerServer('thread', { config, log, listener: app.listener, ... });
 */
export async function loadAppInThreads(config: Config, log: Logger, peerDir: string | null): Promise<LoadedApp> {
  const pool = new ThreadPool({
    app: config.app!,
    cwd: process.cwd(),
    threads: config.threads,
    timeout: config.timeout,
    blockedWarning: config.blockedWarning,
    log,
    logOptions: { level: config.logLevel, file: config.errorLogfile },
    peerDir: config.shareThreads ? peerDir : null,
  });
  const ready = await pool.start();
  const n = config.threads;
  return {
    kind: ready.kind as AppKind,
    listener: pool.dispatch,
    description: `${ready.description} in ${n} thread${n === 1 ? '' : 's'} per worker`,
    close: () => pool.close(),
    setPeers: (pids) => pool.setPeers(pids),
    stopping: () => pool.stopSharing(),
  };
}

/**
 * Many connections per worker, as the async class, up to --worker-connections; requests past the
 * number of threads wait in the pool's queue for the next free thread.
 */
export function createThreadWorker(opts: WorkerClassOptions): HttpWorker {
  const limit = opts.config.workerConnections;
  return new HttpWorker(opts, {
    maxConnections: limit,
    pauseWarning: atLimitWarning(limit),
  });
}
