// Creates the worker class the config names. Worker process only.
import type { WorkerClass } from '../config/registry.js';
import { CorralError } from '../errors.js';
import type { WorkerClassOptions, WorkerServer } from './http-worker.js';

type Factory = (opts: WorkerClassOptions) => WorkerServer;

/**
 * Each class is imported only by the workers that run it: the thread class brings worker_threads,
 * the inspector and its relays, which an async or sync worker has no use for (loading modules it
 * never runs costs boot time and memory, and the code they run at load leaves Node's shared
 * internals with more object shapes in their inline caches, which slows every request a little).
 */
const FACTORIES: Partial<Record<WorkerClass, () => Promise<Factory>>> = {
  async: async () => (await import('./async-worker.js')).createAsyncWorker,
  sync: async () => (await import('./sync-worker.js')).createSyncWorker,
  thread: async () => (await import('./thread-worker.js')).createThreadWorker,
};

/** The factory of worker class `kind`, its module loaded. */
export async function workerClassFactory(kind: WorkerClass): Promise<Factory> {
  const load = FACTORIES[kind];
  if (!load) throw new CorralError('CORRAL_ERR_WORKER_BOOT', `the ${kind} worker class is not available in this build`);
  return load();
}
