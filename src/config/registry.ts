// The settings registry: every setting in docs order, and the Config type derived from it. Read by every process.
import type { Setting } from './types.js';
import * as configFile from './settings/config-file.js';
import * as serverSocket from './settings/server-socket.js';
import * as workerProcesses from './settings/worker-processes.js';
import * as serverMechanics from './settings/server-mechanics.js';
import * as logging from './settings/logging.js';

const all = {
  ...configFile,
  ...serverSocket,
  ...workerProcesses,
  ...serverMechanics,
  ...logging,
};

type Declared = { [K in keyof typeof all as (typeof all)[K] extends Setting<unknown> ? K : never]: (typeof all)[K] };
type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** Every setting's effective value, keyed by its config-file name. */
export type Config = { -readonly [K in keyof Declared]: ValueOf<Declared[K]> };

/** Every setting, in the order --help and docs/settings.md show them. */
export const SETTINGS: readonly Setting[] = [
  configFile.config,
  configFile.app,
  serverSocket.bind,
  serverSocket.backlog,
  workerProcesses.workers,
  workerProcesses.workerClass,
  workerProcesses.threads,
  workerProcesses.workerConnections,
  workerProcesses.rebalance,
  workerProcesses.shareThreads,
  workerProcesses.timeout,
  workerProcesses.bootTimeout,
  workerProcesses.blockedWarning,
  workerProcesses.gracefulTimeout,
  workerProcesses.keepAlive,
  serverMechanics.preload,
  serverMechanics.chdir,
  serverMechanics.env,
  serverMechanics.v8Flags,
  serverMechanics.pid,
  logging.logLevel,
  logging.errorLogfile,
  logging.name,
  configFile.checkConfig,
  configFile.printConfig,
] as Setting[];

// Every declared setting must be listed above exactly once.
const declared = (Object.values(all) as unknown[]).filter((v) => typeof v === 'object' && v !== null && 'parse' in v);
if (declared.length !== SETTINGS.length || declared.some((d) => !SETTINGS.includes(d as Setting))) {
  throw new Error('src/config/registry.ts: SETTINGS must list every declared setting once');
}

export const SETTINGS_BY_NAME: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.name, s]));

export const SETTINGS_BY_FLAG: ReadonlyMap<string, Setting> = new Map(
  SETTINGS.flatMap((s) => s.flags.map((f) => [f, s] as const)),
);

export { WORKER_CLASSES, WORKER_CLASS_ALIASES, type WorkerClass } from './settings/worker-processes.js';
export { LOG_LEVELS, type LogLevel } from './settings/logging.js';
