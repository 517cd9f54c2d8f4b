// The settings registry: every setting in docs order, and the Config type derived from it. Read by every process.
import { SECTIONS, type Setting } from './types.js';
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

/** Every setting, grouped by section in docs order. */
export const SETTINGS: readonly Setting[] = (Object.values(all) as unknown[])
  .filter((v): v is Setting => typeof v === 'object' && v !== null && 'section' in v && 'parse' in v)
  .sort((a, b) => SECTIONS.indexOf(a.section) - SECTIONS.indexOf(b.section));

export const SETTINGS_BY_NAME: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.name, s]));

export const SETTINGS_BY_FLAG: ReadonlyMap<string, Setting> = new Map(
  SETTINGS.flatMap((s) => s.flags.map((f) => [f, s] as const)),
);

export { WORKER_CLASSES, type WorkerClass } from './settings/worker-processes.js';
export { LOG_LEVELS, type LogLevel } from './settings/logging.js';
