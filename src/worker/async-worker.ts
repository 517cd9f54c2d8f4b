// The `async` worker class: many connections and requests at once on the event loop. Worker process only.
import { HttpWorker, atLimitWarning, type WorkerClassOptions } from './http-worker.js';

/** Serves up to --worker-connections connections at once; past that, an idle one makes room, or it stops accepting until one does. */
export function createAsyncWorker(opts: WorkerClassOptions): HttpWorker {
  const limit = opts.config.workerConnections;
  return new HttpWorker(opts, {
    maxConnections: limit,
    pauseWarning: atLimitWarning(limit),
  });
}
