// Creates the worker class the config names. Worker process only.
import type { WorkerClass } from '../config/registry.js';
import { CorralError } from '../errors.js';
import { createAsyncWorker } from './async-worker.js';
import type { WorkerClassOptions, WorkerServer } from './http-worker.js';
import { createSyncWorker } from './sync-worker.js';
import { createThreadWorker } from './thread-worker.js';

const FACTORIES: Partial<Record<WorkerClass, (opts: WorkerClassOptions) => WorkerServer>> = {
  async: createAsyncWorker,
  sync: createSyncWorker,
  thread: createThreadWorker,
};

export function createWorkerServer(kind: WorkerClass, opts: WorkerClassOptions): WorkerServer {
  const factory = FACTORIES[kind];
  if (!factory) throw new CorralError('CORRAL_ERR_WORKER_BOOT', `the ${kind} worker class is not available in this build`);
  return factory(opts);
}
