// The `async` worker class: many connections and requests at once on the event loop. Worker process only.
import { HttpWorker, type WorkerClassOptions } from './http-worker.js';

/** Serves up to --worker-connections connections at once; past that, stops accepting until one closes. */
export function createAsyncWorker(opts: WorkerClassOptions): HttpWorker {
  const limit = opts.config.workerConnections;
  return new HttpWorker(opts, {
    maxConnections: limit,
    pauseWarning: `Worker at --worker-connections (${limit}); not accepting until a connection closes`,
  });
}
