// Recognises an app's shape and turns it into a Node request listener. Runs in the worker process.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { CorralError } from '../errors.js';
import { createFetchListener, type FetchHandler } from './fetch-adapter.js';

export type AppKind = 'node' | 'express' | 'koa' | 'fastify' | 'fetch' | 'http-server';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** What an app becomes once adapted: the listener plus how to name and stop it. */
export interface AdaptedApp {
  kind: AppKind;
  /** "Express app", "Hono app", "Fetch handler", ... */
  label: string;
  listener: RequestListener;
  close?: () => Promise<void>;
}

type Obj = Record<string, unknown>;

/**
 * The shape of `value`, or undefined when corral cannot serve it. First match wins:
 * 1. an object with a `fetch` method (Hono, `export default { fetch }`) -> fetch, called on the object;
 * 2. a Koa app (`callback`, `use`, and a `middleware` array) -> `app.callback()`;
 * 3. a Fastify instance (`routing`, `ready`, `inject`) -> `ready()`, then `routing(req, res)`;
 * 4. an http.Server or https.Server -> its 'request' listeners;
 * 5. a function of 2 or more parameters (`(req, res)`, Express/Connect `(req, res, next)`) -> node;
 * 6. a function of 0 or 1 parameter -> a Fetch handler `(request) => Response`. Classes never match.
 */
export function detectKind(value: unknown): AppKind | undefined {
  if (typeof value === 'function') {
    if (isClass(value)) return undefined;
    if (value.length <= 1) return 'fetch';
    return isFn((value as unknown as Obj).use) && isFn((value as unknown as Obj).handle) ? 'express' : 'node';
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const obj = value as Obj;
  if (isFn(obj.fetch)) return 'fetch';
  if (isFn(obj.callback) && isFn(obj.use) && Array.isArray(obj.middleware)) return 'koa';
  if (isFn(obj.routing) && isFn(obj.ready) && isFn(obj.inject)) return 'fastify';
  if (value instanceof http.Server || isHttpsServer(value)) return 'http-server';
  return undefined;
}

/** Builds the listener for a value `detectKind` accepted. */
export async function adaptApp(value: unknown, kind: AppKind): Promise<AdaptedApp> {
  const obj = value as Obj;
  switch (kind) {
    case 'fetch':
      if (typeof value === 'function') {
        return { kind, label: 'Fetch handler', listener: createFetchListener(value as FetchHandler) };
      }
      return { kind, label: `${className(obj) ?? 'Fetch'} app`, listener: createFetchListener(bindFetch(obj)) };
    case 'koa':
      return { kind, label: 'Koa app', listener: (obj.callback as () => RequestListener).call(obj) };
    case 'fastify':
      return adaptFastify(obj);
    case 'http-server':
      return adaptServer(value as http.Server);
    case 'express':
      return { kind, label: isFn(obj.set) ? 'Express app' : 'Connect app', listener: value as RequestListener };
    case 'node':
      return { kind, label: 'Node request listener', listener: value as RequestListener };
  }
}

const require = createRequire(import.meta.url);

/**
 * An https.Server (a net.Server, not an http.Server). node:https is loaded only to check one: an
 * app that made an https.Server loaded it already, and every other worker is spared TLS and
 * crypto (boot time, memory, and the inline caches their code would leave in Node's internals).
 */
function isHttpsServer(value: object): boolean {
  return value instanceof net.Server && value instanceof (require('node:https') as typeof import('node:https')).Server;
}

function bindFetch(obj: Obj): FetchHandler {
  return (obj.fetch as FetchHandler).bind(obj);
}

interface FastifyLike {
  ready(): PromiseLike<unknown>;
  routing(req: IncomingMessage, res: ServerResponse): void;
  close(): PromiseLike<unknown>;
}

/** Fastify's own server never listens: corral's does, and hands each request to Fastify's router. */
async function adaptFastify(obj: Obj): Promise<AdaptedApp> {
  const app = obj as unknown as FastifyLike;
  try {
    await app.ready();
  } catch (err) {
    throw new CorralError(
      'CORRAL_ERR_APP_LOAD',
      `Fastify app failed to get ready (a plugin or hook failed): ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
  const routing = app.routing.bind(app);
  return {
    kind: 'fastify',
    label: 'Fastify app',
    listener: (req, res) => routing(req, res),
    close: async () => {
      await app.close();
    },
  };
}

function adaptServer(server: http.Server): AdaptedApp {
  const label = server instanceof http.Server ? 'http.Server' : 'https.Server';
  if (server.listenerCount('request') === 0) {
    throw new CorralError(
      'CORRAL_ERR_APP_NOT_SERVABLE',
      `The exported ${label} has no request listener. Create it with http.createServer(listener), or export the listener itself.`,
    );
  }
  // emit() rather than a copy of the listeners, so listeners the app adds later also run.
  return { kind: 'http-server', label, listener: (req, res) => server.emit('request', req, res) };
}

function isFn(value: unknown): value is (...args: never[]) => unknown {
  return typeof value === 'function';
}

/** True for `class X {}`: calling one without `new` throws, so it is never a handler. */
export function isClass(fn: Function): boolean {
  return Function.prototype.toString.call(fn).startsWith('class');
}

function className(obj: Obj): string | undefined {
  const name = (Object.getPrototypeOf(obj) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : undefined;
}
