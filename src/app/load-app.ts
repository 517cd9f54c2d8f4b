// Loads APP_MODULE and adapts whatever it exports into one Node request listener. Runs in the worker process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorralError } from '../errors.js';
import { adaptApp, detectKind, isClass, type AppKind } from './adapt-app.js';
import { parseAppSpec, type AppSpec } from './app-spec.js';
import { ACCEPTED_SHAPES, describeExports, describeValue } from './describe-exports.js';
import { importModule, type ModuleExports } from './import-module.js';
import { factoryError } from './load-error.js';

export type { AppKind } from './adapt-app.js';

/** An app ready to serve: one listener for every request of this worker. */
export interface LoadedApp {
  kind: AppKind;
  /** A Node request listener. May return a promise; if it rejects or throws before headers are sent, the worker answers 500 and logs the stack. */
  listener: (req: IncomingMessage, res: ServerResponse) => unknown;
  /** e.g. "Express app (export `app` of src/server.ts)" — used in logs. */
  description: string;
  /** Optional cleanup on worker stop (e.g. fastify.close()). */
  close?: () => Promise<void>;
  /** The thread class: the master says which workers serve now (to share threads with, --share-threads). */
  setPeers?: (pids: readonly number[]) => void;
  /** The thread class: the graceful stop began (take no more requests from other workers). */
  stopping?: () => void;
}

/**
 * Loads `spec` (`path[:name]` or `path:factory()`, path relative to `cwd`). Without a name the
 * default export is served if it is an app, else the `app` export. Throws a CorralError with
 * exit code 4 when the file is missing, fails to load, or exports nothing servable.
 *
 * @example
 * const app = await loadApp('src/server.ts:createApp()', { cwd: process.cwd() });
 * http.createServer(app.listener);
 */
export async function loadApp(spec: string, options: { cwd: string }): Promise<LoadedApp> {
  const appSpec = parseAppSpec(spec, options.cwd);
  const exports = await importModule(appSpec);
  const picked = pickExport(appSpec, exports);
  const { value, source } = appSpec.isFactory ? await callFactory(appSpec, picked.value) : picked;
  const kind = detectKind(value);
  if (kind === undefined) {
    throw notServable(`${source} is ${article(describeValue(value))}, not an app. ${ACCEPTED_SHAPES}.`);
  }
  const adapted = await adaptApp(value, kind);
  const app: LoadedApp = { kind, listener: adapted.listener, description: `${adapted.label} (${source})` };
  if (adapted.close !== undefined) app.close = adapted.close;
  return app;
}

interface Picked {
  value: unknown;
  /** "default export of app.ts", "export `app` of app.ts", "result of `createApp()` in app.ts". */
  source: string;
}

function pickExport(spec: AppSpec, exports: ModuleExports): Picked {
  const listing = `It exports: ${describeExports(exports)}.`;
  if (spec.exportName !== undefined) {
    const value = lookup(exports, spec.exportName);
    if (value === undefined) {
      throw notServable(`${spec.file} has no export named \`${spec.exportName}\`. ${listing}`);
    }
    const source = spec.exportName === 'default' ? `default export of ${spec.file}` : `export \`${spec.exportName}\` of ${spec.file}`;
    return { value, source };
  }
  const main = lookup(exports, 'default');
  if (detectKind(main) !== undefined) return { value: main, source: `default export of ${spec.file}` };
  const app = lookup(exports, 'app');
  if (detectKind(app) !== undefined) return { value: app, source: `export \`app\` of ${spec.file}` };
  throw notServable(
    `Nothing to serve in ${spec.file}: neither its default export nor an \`app\` export is an app. ${listing} ` +
      `${ACCEPTED_SHAPES}. Name another export as ${spec.file}:name, or a factory as ${spec.file}:createApp().`,
  );
}

/**
 * An export by name. CommonJS modules whose names Node's export detection missed are read
 * from module.exports, and a transpiled module's `exports.default` counts as its default.
 */
function lookup(exports: ModuleExports, name: string): unknown {
  const main = exports.default;
  const isObject = main !== null && (typeof main === 'object' || typeof main === 'function');
  if (name === 'default') {
    return isObject && (main as { __esModule?: unknown }).__esModule === true ? (main as ModuleExports).default : main;
  }
  if (Object.hasOwn(exports, name)) return exports[name];
  return isObject ? (main as ModuleExports)[name] : undefined;
}

async function callFactory(spec: AppSpec, factory: unknown): Promise<Picked> {
  const name = `${spec.exportName}()`;
  if (typeof factory !== 'function' || isClass(factory)) {
    throw notServable(
      `${spec.file}:${name} names a factory, but export \`${spec.exportName}\` is ${article(describeValue(factory))}, not a function. ` +
        `Drop the "()" to serve the export itself.`,
    );
  }
  try {
    return { value: await (factory as () => unknown)(), source: `result of \`${name}\` in ${spec.file}` };
  } catch (err) {
    throw factoryError(spec, err);
  }
}

function notServable(message: string): CorralError {
  return new CorralError('CORRAL_ERR_APP_NOT_SERVABLE', message);
}

function article(type: string): string {
  if (type === 'undefined' || type === 'null') return type;
  return /^[aeiou]/i.test(type) ? `an ${type}` : `a ${type}`;
}
