// The messages between a worker process's main thread and its app threads, and how errors cross. Both threads.
import { CorralError, ErrorCodes, type ErrorCode } from '../../errors.js';
import type { LoggerOptions } from '../../log/logger.js';

/** What an app thread is started with. */
export interface ThreadData {
  app: string;
  cwd: string;
  log: LoggerOptions;
  /** The thread stamps Date.now() in slot 0 while its event loop turns (its liveness). */
  beat: SharedArrayBuffer;
  beatMs: number;
}

/** Message tags: numbers, compared on every message of every request. */
export const Tag = {
  // main thread -> app thread
  REQUEST: 1,
  BODY: 2,
  BODY_END: 3,
  ACK: 4,
  ABORT: 5,
  CLOSE: 6,
  // app thread -> main thread
  READY: 11,
  FAILED: 12,
  RESPONSE: 13,
  PAUSE: 14,
  RESUME: 15,
  CLOSED: 16,
  INFO: 17,
} as const;

/** A body chunk: a UTF-8 string as the app wrote it, or bytes the receiver owns (transferred). */
export type Chunk = string | Uint8Array;

/** A request as the app thread rebuilds it. `complete`: it has no body, so no BODY messages follow. */
export interface RequestMessage {
  t: typeof Tag.REQUEST;
  id: number;
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  /** remoteAddress, remotePort, remoteFamily, localAddress, localPort, encrypted (1/0). */
  socket: [string | undefined, number | undefined, string | undefined, string | undefined, number | undefined, number];
  complete: boolean;
}

export type ToThread =
  | RequestMessage
  | { t: typeof Tag.BODY; id: number; chunk: Uint8Array }
  | { t: typeof Tag.BODY_END; id: number; rawTrailers: string[] }
  /** The main thread wrote `bytes` more of the response to the client (or its socket buffer). */
  | { t: typeof Tag.ACK; id: number; bytes: number }
  /** The client went away before the response ended. */
  | { t: typeof Tag.ABORT; id: number }
  /** Graceful stop: close the app and exit. */
  | { t: typeof Tag.CLOSE };

/** The response head as the app left it when headers were first written. */
export interface ResponseHead {
  status: number;
  message: string;
  /** name, value, name, value...; a value may be an array (Set-Cookie). */
  headers: Array<string | number | readonly string[]>;
  sendDate: boolean;
}

/** What the app did to its response since the last message, in order: head, then chunks, then end. */
export interface ResponseMessage {
  t: typeof Tag.RESPONSE;
  id: number;
  head?: ResponseHead;
  flush?: true;
  chunks?: Chunk[];
  trailers?: Array<[string, string]>;
  end?: true;
}

export type ToMain =
  | { t: typeof Tag.READY; kind: string; description: string }
  | { t: typeof Tag.FAILED; error: SerializedError }
  | ResponseMessage
  /** The app is not reading the request body fast enough: stop sending it. */
  | { t: typeof Tag.PAUSE; id: number }
  | { t: typeof Tag.RESUME; id: number }
  /** The app thread is done with a request whose response did not end (destroyed, or the client left). */
  | { t: typeof Tag.CLOSED; id: number }
  /** An informational (1xx) response before the final one: 100, 102 or 103 (with its hints). */
  | { t: typeof Tag.INFO; id: number; status: 100 | 102 | 103; headers: Record<string, string | string[]> };

/**
 * The wire form of the two messages every request sends, REQUEST and RESPONSE: flat arrays. Structured
 * clone rebuilds an object property by property (through V8's map transitions), a dense array of the
 * same values in about half the time, and these two crossings are most of what the thread relay
 * costs a small request (see docs/worker-classes.md). Other messages cross as objects.
 */
export type RequestWire = [
  t: typeof Tag.REQUEST, id: number, method: string, url: string, httpVersion: string, complete: 0 | 1,
  rawHeaders: string[], socket: RequestMessage['socket'],
];
export type ResponseWire = [
  t: typeof Tag.RESPONSE, id: number, flags: number, chunks: Chunk[] | null, trailers: Array<[string, string]> | null,
  status: number, message: string, headers: ResponseHead['headers'] | null, sendDate: 0 | 1,
];
const END = 1;
const FLUSH = 2;

export function requestToWire(m: RequestMessage): RequestWire {
  return [Tag.REQUEST, m.id, m.method, m.url, m.httpVersion, m.complete ? 1 : 0, m.rawHeaders, m.socket];
}

export function requestFromWire(w: RequestWire): RequestMessage {
  return { t: Tag.REQUEST, id: w[1], method: w[2], url: w[3], httpVersion: w[4], rawHeaders: w[6], socket: w[7], complete: w[5] === 1 };
}

export function responseToWire(m: ResponseMessage): ResponseWire {
  const h = m.head;
  return [
    Tag.RESPONSE, m.id, (m.end ? END : 0) | (m.flush ? FLUSH : 0), m.chunks ?? null, m.trailers ?? null,
    h ? h.status : 0, h ? h.message : '', h ? h.headers : null, h?.sendDate ? 1 : 0,
  ];
}

export function responseFromWire(w: ResponseWire): ResponseMessage {
  const m: ResponseMessage = { t: Tag.RESPONSE, id: w[1] };
  if (w[7] !== null) m.head = { status: w[5], message: w[6], headers: w[7], sendDate: w[8] === 1 };
  if (w[3] !== null) m.chunks = w[3];
  if (w[4] !== null) m.trailers = w[4];
  if (w[2] & FLUSH) m.flush = true;
  if (w[2] & END) m.end = true;
  return m;
}

/** An error as it crosses threads: structured clone drops a CorralError's class and code. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  code: string | undefined;
  cause: SerializedError | undefined;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    code: typeof code === 'string' ? code : undefined,
    cause: e.cause !== undefined && depth < 4 ? serializeError(e.cause, depth + 1) : undefined,
  };
}

/** Rebuilds the error, as a CorralError again when it was one, so its exit code and message survive. */
export function deserializeError(s: SerializedError): Error {
  const cause = s.cause === undefined ? undefined : deserializeError(s.cause);
  if (s.name === 'CorralError' && s.code !== undefined && Object.hasOwn(ErrorCodes, s.code)) {
    return new CorralError(s.code as ErrorCode, s.message, cause === undefined ? {} : { cause });
  }
  const err = new Error(s.message, cause === undefined ? undefined : { cause });
  err.name = s.name;
  if (s.stack !== undefined) err.stack = s.stack;
  return err;
}

/**
 * Between the main threads of two worker processes of the thread class (--share-threads). Each
 * worker sends on its own connection to the other's peer socket, so a message's sender is the
 * connection's; ids are those of the worker that passed the request.
 */
export const PeerTag = {
  /** First on every connection: who is sending. */
  HELLO: 21,
  /**
   * Requests are waiting for a thread here, the oldest since `oldest` (Date.now()): sent when the
   * first one waits, then every AGE_REPORT_MS while any does, until a PULL finds none.
   */
  STARVED: 22,
  /** A thread is idle here, or this worker's requests have waited less: send the oldest request waiting there. */
  PULL: 23,
  /** The answer to a PULL that found nothing waiting (STARVED comes again when something waits). */
  NONE: 24,
  /** The answer to a PULL: a request (the head; THREAD messages follow), waiting since `since`; `rest`: the next oldest's arrival, or 0. */
  PASS: 28,
  /** About a request the sender passed: what its connection sends, for the app thread. */
  THREAD: 25,
  /** About a request the receiver passed: what the app thread did, for the connection. */
  MAIN: 26,
  /** The app thread running a request the receiver passed crashed or was stuck. */
  FAIL: 27,
} as const;

export type PeerMessage =
  | { p: typeof PeerTag.HELLO; pid: number }
  | { p: typeof PeerTag.STARVED; oldest: number }
  | { p: typeof PeerTag.PULL }
  | { p: typeof PeerTag.NONE }
  | { p: typeof PeerTag.PASS; m: RequestMessage; since: number; rest: number }
  | { p: typeof PeerTag.THREAD; m: ToThread }
  | { p: typeof PeerTag.MAIN; m: ToMain }
  | { p: typeof PeerTag.FAIL; id: number; error: SerializedError };
