// The app's http.ServerResponse inside an app thread: Node runs it as usual, and each call is also relayed to the main thread. App thread only.
import http, { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StubSocket } from './stub-socket.js';

/** Where the response's calls go, in the order the app made them. */
export interface ResponseRelay {
  /** Headers are being written now (explicitly or implicitly). */
  head(res: ServerResponse): void;
  /** A body chunk; false when the main thread has not caught up (the app should wait for 'drain'). */
  chunk(chunk: unknown, encoding: BufferEncoding | undefined): boolean;
  flushHeaders(): void;
  trailers(trailers: Array<[string, string]>): void;
  /** An informational response (writeContinue, writeProcessing, writeEarlyHints), sent before anything else. */
  info(status: 100 | 102 | 103, headers: Record<string, string | string[]>): void;
  /** Inside end(): what it does (headers, the last chunk) goes out with the end, in one message. */
  ending(inside: boolean): void;
  end(): void;
}

type Callback = (err?: Error | null) => void;
type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[];
type NodeWrite = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;
type NodeEnd = (chunk?: unknown, encoding?: unknown, callback?: unknown) => unknown;
type NodeWriteHead = (statusCode: number, reason?: string) => unknown;

const RELAY = Symbol('corral.relay');
type Relayed = ServerResponse & { [RELAY]: ResponseRelay };

const base = http.ServerResponse.prototype;
const nodeWrite = base.write as NodeWrite;
const nodeEnd = base.end as NodeEnd;
const nodeWriteHead = base.writeHead as NodeWriteHead;

const symbols = Object.getOwnPropertySymbols(new http.ServerResponse(new http.IncomingMessage(null as unknown as Socket)));
/** Node's private flag behind `writableNeedDrain`, set when write() returns false. */
const kNeedDrain = symbols.find((s) => s.description === 'kNeedDrain');
/** Node's private header map, `{ lowercased: [name as set, value] }` (Node 12 to 24 at least). */
const kOutHeaders = symbols.find((s) => s.description === 'kOutHeaders');

type HeaderValue = string | number | readonly string[];
type OutHeaders = Record<string, [string, HeaderValue]> | null;

/**
 * The headers as the app set them: name (its spelling), value, name, value... Read from Node's own
 * map when it can be found: getRawHeaderNames() builds an array and a lookup per header, which
 * showed up in profiles of small requests.
 */
export function headerList(res: ServerResponse): HeaderValue[] {
  const out: HeaderValue[] = [];
  if (kOutHeaders) {
    const map = (res as unknown as Record<symbol, OutHeaders>)[kOutHeaders];
    for (const key in map) out.push(map[key]![0], map[key]![1]);
    return out;
  }
  const names = (res as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames();
  for (const name of names) out.push(name, res.getHeader(name)!);
  return out;
}

/**
 * A plain ServerResponse on a stub socket. Everything goes through Node's own code (validation, HEAD
 * and 204 rules, 'finish', callbacks, errors after end); the formatted bytes are dropped by the stub,
 * and these own-property hooks observe what the app did once Node accepted it. Own properties, not a
 * subclass: Express replaces the prototype of every response it serves.
 */
export function createResponse(req: IncomingMessage, socket: StubSocket, relay: ResponseRelay): ServerResponse {
  const res = new http.ServerResponse(req) as Relayed;
  res[RELAY] = relay;
  res.writeHead = writeHead as unknown as Relayed['writeHead'];
  res.write = write as Relayed['write'];
  res.end = end as unknown as Relayed['end'];
  res.flushHeaders = flushHeaders;
  res.addTrailers = addTrailers;
  res.writeContinue = writeContinue;
  res.writeProcessing = writeProcessing;
  res.writeEarlyHints = writeEarlyHints;
  res.assignSocket(socket as unknown as Socket);
  res.once('finish', closeAfterFinish);
  return res;
}

function writeHead(this: Relayed, statusCode: number, reason?: string | Headers, headers?: Headers): Relayed {
  if (typeof reason !== 'string' && reason !== undefined) [headers, reason] = [reason, undefined];
  // Headers passed here are set like setHeader() calls, so getHeaders() sees the final set.
  if (headers) mergeHeaders(this, headers);
  nodeWriteHead.call(this, statusCode, reason);
  this[RELAY].head(this);
  return this;
}

function write(this: Relayed, chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
  if (this.writableEnded || this.destroyed) return nodeWrite.call(this, chunk, encoding, callback);
  const ok = nodeWrite.call(this, chunk, encoding, callback);
  if (this[RELAY].chunk(chunk, typeof encoding === 'string' ? encoding : undefined)) return ok;
  if (kNeedDrain) (this as unknown as Record<symbol, boolean>)[kNeedDrain] = true;
  return false;
}

function end(this: Relayed, chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): Relayed {
  if (this.writableEnded || this.destroyed) {
    nodeEnd.call(this, chunk, encoding, callback);
    return this;
  }
  if (typeof chunk === 'function') [callback, chunk] = [chunk as Callback, undefined];
  if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
  const relay = this[RELAY];
  relay.ending(true);
  try {
    nodeEnd.call(this, chunk, encoding, callback);
    if (chunk !== undefined && chunk !== null) relay.chunk(chunk, encoding);
    relay.end();
  } finally {
    relay.ending(false);
  }
  return this;
}

function flushHeaders(this: Relayed): void {
  base.flushHeaders.call(this);
  this[RELAY].flushHeaders();
}

function addTrailers(this: Relayed, headers: OutgoingHttpHeaders | ReadonlyArray<[string, string]>): void {
  base.addTrailers.call(this, headers);
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  this[RELAY].trailers(pairs.map(([k, v]) => [String(k), String(v)]));
}

/** The main thread caught up: a writer waiting for 'drain' may go on. */
export function drainResponse(res: ServerResponse): void {
  if (res.writableEnded || res.destroyed) return;
  if (kNeedDrain) (res as unknown as Record<symbol, boolean>)[kNeedDrain] = false;
  res.emit('drain');
}

/** As Node's writeHead does when setHeader() was used too: arrays may repeat a name, objects replace. */
function mergeHeaders(res: ServerResponse, headers: Headers): void {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) res.removeHeader(String(headers[i]));
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]) res.appendHeader(String(headers[i]), headers[i + 1] as string | readonly string[]);
    }
    return;
  }
  for (const name of Object.keys(headers)) {
    const value = (headers as OutgoingHttpHeaders)[name];
    if (name && value !== undefined) res.setHeader(name, value);
  }
}

// The stub socket drops Node's own 1xx bytes: relay them, as the main thread's response must send them.
function informational(res: Relayed, status: 100 | 102 | 103, headers: Record<string, string | string[]>, cb?: () => void): void {
  res[RELAY].info(status, headers);
  if (cb) process.nextTick(cb);
}

function writeContinue(this: Relayed, cb?: () => void): void {
  informational(this, 100, {}, cb);
}

function writeProcessing(this: Relayed, cb?: () => void): void {
  informational(this, 102, {}, cb);
}

function writeEarlyHints(this: Relayed, hints: Record<string, string | string[]>, cb?: () => void): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(hints)) headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  informational(this, 103, headers, cb);
}

/**
 * Node's server emits 'close' on a response after 'finish' and lets the unread body drain; this
 * response has no server, so it does the same. Apps and frameworks wait on 'close' for cleanup.
 */
function closeAfterFinish(this: ServerResponse): void {
  process.nextTick(emitClose, this);
}

function emitClose(res: ServerResponse): void {
  const req = res.req;
  if (req.readableFlowing === null) req.resume();
  if (res.destroyed) return; // already closed by its socket
  if (res.socket) res.detachSocket(res.socket);
  res.destroyed = true;
  (res as unknown as { _closed: boolean })._closed = true;
  res.emit('close');
}
