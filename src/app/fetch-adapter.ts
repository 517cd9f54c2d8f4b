// Serves a Fetch-style handler (Request in, Response out) on node:http. Runs in the worker process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorralError } from '../errors.js';
import { ClientLifetime, releaseBody, toRequest } from './fetch-request.js';

/** What a Fetch handler gets as its second argument: the Node objects behind the Request (as @hono/node-server does). */
export interface FetchEnv {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

/** `(request) => Response`; Hono-style handlers also get `env`. */
export type FetchHandler = (request: Request, env: FetchEnv) => unknown;

type BodyReader = ReadableStreamDefaultReader<Uint8Array>;

const NEXT_TURN = Symbol('next turn');
const noop = (): void => undefined;

/**
 * Wraps a Fetch handler as a Node request listener. The returned promise rejects when the
 * handler throws or returns something other than a Response, so the worker answers 500.
 *
 * @example
 * http.createServer(createFetchListener(() => new Response('hi')));
 */
export function createFetchListener(handler: FetchHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async function fetchListener(req, res) {
    if (FETCH_FORBIDDEN_METHODS.has(req.method ?? '')) return notImplemented(res);
    const client = new ClientLifetime();
    res.once('close', () => {
      if (!res.writableFinished) client.leave();
    });
    const request = toRequest(req, client);
    // Only a request with a body has one to discard (no listener on the common GET path).
    if (request.body !== null) res.once('finish', () => releaseBody(req));
    const response = await handler(request, { incoming: req, outgoing: res });
    if (!isResponse(response)) throw notAResponse(response);
    await writeResponse(response, req, res, client);
  };
}

/**
 * Headers about this one connection, not the response: passed on from a proxied Response they
 * would contradict the server's own (`Connection: keep-alive` to a client that asked to close).
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * Whether the Response came from fetch() with a body fetch already decompressed: fetch decodes
 * gzip, deflate and br but keeps Content-Encoding and Content-Length, which would then describe
 * bytes the client never gets. A Response the app made itself (url '') is sent as it says.
 */
function decodedByFetch(response: Response): boolean {
  if (response.url === '' || response.body === null) return false;
  const encoding = response.headers.get('content-encoding');
  if (encoding === null) return false;
  return encoding.split(',').every((c) => ['gzip', 'x-gzip', 'deflate', 'br'].includes(c.trim().toLowerCase()));
}

/** Methods the Fetch API cannot represent (`new Request` throws): a client's choice, not an app error. */
const FETCH_FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

function notImplemented(res: ServerResponse): void {
  const body = 'Not Implemented: a Fetch handler cannot receive this method\n';
  res.writeHead(501, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  // A Response from another fetch implementation (undici's npm package, a polyfill).
  const v = value as Partial<Response> | null;
  return typeof v === 'object' && v !== null && typeof v.status === 'number' && typeof v.headers?.get === 'function' && 'body' in v;
}

function notAResponse(value: unknown): CorralError {
  const got = value === null ? 'null' : typeof value === 'object' ? `an object (${Object.keys(value).slice(0, 5).join(', ')})` : typeof value;
  // A factory named without its parentheses is served as if it were the handler.
  const hint = typeof value === 'function' ? ' If the export is a factory that makes the app, name it with parentheses: app.ts:createApp().' : '';
  return new CorralError(
    'CORRAL_ERR_HANDLER',
    `The Fetch handler returned ${got} instead of a Response. Return (or resolve to) a Response, e.g. new Response('ok') or Response.json(data).${hint}`,
    { status: 500 },
  );
}

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse, client: ClientLifetime): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText !== '') res.statusMessage = response.statusText;
  const decoded = decodedByFetch(response);
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie' || HOP_BY_HOP.has(name)) continue;
    // The body is no longer what these headers describe (see decodedByFetch).
    if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
    res.setHeader(name, value);
  }
  const cookies = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = response.body;
  if (req.method === 'HEAD' && body !== null && !client.isGone) {
    // Send the Content-Length the same GET would get (see pump), without the body.
    const length = await quickLength(body.getReader() as BodyReader);
    if (length !== undefined && !res.hasHeader('content-length')) res.setHeader('content-length', length);
    res.end();
    return;
  }
  if (body === null || req.method === 'HEAD' || client.isGone) {
    body?.cancel().catch(noop);
    res.end();
    return;
  }
  await writeBody(body.getReader() as BodyReader, res, client);
}

/** Streams the body with backpressure; cancels it if the client goes away first. */
async function writeBody(reader: BodyReader, res: ServerResponse, client: ClientLifetime): Promise<void> {
  const cancel = (): void => void reader.cancel(new DOMException('The client went away', 'AbortError')).catch(noop);
  client.onLeave = cancel;
  let complete = false;
  try {
    complete = await pump(reader, res);
  } catch (err) {
    // Once headers are out the worker cannot answer 500; cut the response so the client
    // sees a truncated body instead of one that looks complete.
    if (res.headersSent) res.destroy(err as Error);
    throw err;
  } finally {
    client.onLeave = undefined;
  }
  // The socket can be destroyed before its 'close' (and so the abort) is emitted.
  if (!complete) cancel();
}

/**
 * Copies the body to `res`; false if the client went away first. A body whose end is in
 * hand one event-loop turn after its first chunk (a string, JSON, a buffer) goes out in one
 * `end()`, so Node sends Content-Length instead of chunked encoding.
 */
async function pump(reader: BodyReader, res: ServerResponse): Promise<boolean> {
  const first = await reader.read();
  if (first.done) return end(res);
  let pending = reader.read();
  const second = await Promise.race([pending, nextTurn()]);
  if (second !== NEXT_TURN && second.done) return end(res, first.value);
  if (!(await write(res, first.value))) return false;
  if (second !== NEXT_TURN) {
    if (!(await write(res, second.value))) return false;
    pending = reader.read();
  }
  for (;;) {
    const { done, value } = await pending;
    if (done) return end(res);
    if (!(await write(res, value))) return false;
    pending = reader.read();
  }
}

/** The body's length if it is complete one event-loop turn after its first chunk, as pump would send it. */
async function quickLength(reader: BodyReader): Promise<number | undefined> {
  const first = await reader.read();
  if (first.done) return 0;
  const second = await Promise.race([reader.read(), nextTurn()]);
  if (second !== NEXT_TURN && second.done) return first.value.byteLength;
  void reader.cancel().catch(noop);
  return undefined;
}

function end(res: ServerResponse, chunk?: Uint8Array): boolean {
  if (res.destroyed) return false;
  res.end(chunk);
  return true;
}

let turn: Promise<typeof NEXT_TURN> | undefined;

/** Resolves after the current event-loop turn; shared by every response waiting in that turn. */
function nextTurn(): Promise<typeof NEXT_TURN> {
  turn ??= new Promise((resolve) => {
    setImmediate(() => {
      turn = undefined;
      resolve(NEXT_TURN);
    });
  });
  return turn;
}

/** Writes a chunk, waiting for 'drain' when the socket is full; false if the client went away. */
function write(res: ServerResponse, chunk: Uint8Array): boolean | Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
