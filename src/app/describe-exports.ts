// Describes what a module exports, for the "nothing servable" error. Runs in the worker process.
import { isClass } from './adapt-app.js';
import type { ModuleExports } from './import-module.js';

/** What corral accepts, for error messages. */
export const ACCEPTED_SHAPES =
  'corral serves a Node listener (req, res) such as an Express or Connect app, a Koa app, a Fastify instance, ' +
  'an http.Server, a Fetch handler (request) => Response, or an object with a fetch(request) method such as a Hono app';

/** "default (object), helper (function, 0 args)", or "nothing" for an empty module. */
export function describeExports(exports: ModuleExports): string {
  const names = Object.keys(exports).filter((name) => name !== 'module.exports');
  if (names.length === 0) return 'nothing';
  return names.map((name) => `${name} (${describeValue(exports[name])})`).join(', ');
}

/** "function, 0 args", "class", "object", "Foo instance", "promise", "string", ... */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') {
    return isClass(value) ? 'class' : `function, ${value.length} arg${value.length === 1 ? '' : 's'}`;
  }
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Promise) return 'promise';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `${name} instance` : 'object';
}
