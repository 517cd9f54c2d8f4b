// HTTP clients for the conformance suite: requests with streamed bodies, raw byte exchanges, polling the fixture apps. Test process only.
import http from 'node:http';
import net from 'node:net';
import { get, waitUntil, within } from '../arbiter/support.ts';

export interface FullReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** Written piece by piece, waiting for 'drain' whenever the socket is full. */
  pieces?: Buffer[];
  timeoutMs?: number;
}

/** One request on a fresh connection (no agent); the whole response body, with a deadline. */
export function send(base: string, pathname: string, opts: SendOptions = {}): Promise<FullReply> {
  const url = new URL(pathname, base);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let req: http.ClientRequest | undefined;
  return within(
    new Promise<FullReply>((resolve, reject) => {
      req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: opts.method ?? 'GET', headers: opts.headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      void writePieces(req, opts.pieces ?? []).then(() => req!.end(), reject);
    }),
    timeoutMs,
    `${opts.method ?? 'GET'} ${pathname} answered`,
  ).catch((err: unknown) => {
    req?.destroy();
    throw err;
  });
}

async function writePieces(req: http.ClientRequest, pieces: Buffer[]): Promise<void> {
  for (const piece of pieces) {
    if (req.destroyed) return;
    if (!req.write(piece)) {
      await new Promise<void>((resolve, reject) => {
        const closed = (): void => reject(new Error('the connection closed while the body was being sent'));
        req.once('close', closed);
        req.once('drain', () => {
          req.off('close', closed);
          resolve();
        });
      });
    }
  }
}

/** `data` cut into pieces of `size` bytes. */
export function piecesOf(data: Buffer, size = 64 * 1024): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) pieces.push(data.subarray(at, at + size));
  return pieces;
}

/** The JSON body of a reply, with the reply in the message when it is not JSON. */
export function jsonOf<T>(reply: FullReply): T {
  try {
    return JSON.parse(reply.body.toString('utf8')) as T;
  } catch {
    throw new Error(`expected JSON, got ${reply.status} ${JSON.stringify(reply.body.toString('utf8').slice(0, 300))}`);
  }
}

/**
 * A client connection that keeps every byte the server sends, for exchanges a parser would hide:
 * interim 100 responses, a HEAD reply's absence of body, a peer that stalls reading.
 */
export class ByteConnection {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  received = Buffer.alloc(0);
  #onData: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // a reset shows as 'close'; the test asserts on what arrived
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.#onData?.();
    });
    socket.once('close', () => this.#onData?.());
  }

  static async open(port: number, timeoutMs = 5000): Promise<ByteConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      }),
      timeoutMs,
      `connect to port ${port}`,
    ).catch((err: unknown) => {
      socket.destroy();
      throw err;
    });
    return new ByteConnection(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  get text(): string {
    return this.received.toString('latin1');
  }

  /** Resolves once what arrived contains `marker`; rejects at the deadline or if the connection closes first. */
  until(marker: string, timeoutMs = 5000): Promise<void> {
    return within(
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (this.received.includes(marker)) resolve();
          else if (this.socket.destroyed) reject(new Error(`connection closed before ${JSON.stringify(marker)}; got ${JSON.stringify(this.text.slice(0, 500))}`));
        };
        this.#onData = check;
        check();
      }),
      timeoutMs,
      `${JSON.stringify(marker)} from the server (got ${JSON.stringify(this.text.slice(0, 500))})`,
    ).finally(() => (this.#onData = null));
  }

  /** Everything the server sends until it closes the connection. */
  async untilClosed(timeoutMs = 5000): Promise<string> {
    await within(this.closed, timeoutMs, `the server closes the connection (got ${JSON.stringify(this.text.slice(0, 500))})`);
    return this.text;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Splits a raw response into its head (status line + headers, lowercased names) and what followed. */
export function splitHead(raw: string): { status: number; headers: Record<string, string>; rest: string } {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 300))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, rest: raw.slice(end + 4) };
}

export interface AppEvent {
  event: string;
  pid: number;
  [detail: string]: unknown;
}

/** Polls the app's /events route until `done` holds for what was recorded under `id`. */
export async function eventsUntil(base: string, id: string, done: (events: AppEvent[]) => boolean, timeoutMs = 5000): Promise<AppEvent[]> {
  let last: AppEvent[] = [];
  return waitUntil(
    async () => {
      const reply = await get(base, `/events?id=${id}`, { headers: { connection: 'close' } });
      last = JSON.parse(reply.body) as AppEvent[];
      return done(last) ? last : null;
    },
    timeoutMs,
    () => `the app recorded the expected events for ${id} (so far: ${JSON.stringify(last)})`,
    50,
  );
}

/** Polls fresh connections until worker `pid` answers one (another worker may take some first). */
export async function answeredBy(base: string, pid: number, timeoutMs = 8000): Promise<void> {
  const seen = new Set<string>();
  await waitUntil(
    async () => {
      const reply = await get(base, '/pid', { headers: { connection: 'close' } });
      seen.add(`${reply.status} ${reply.body}`);
      return reply.status === 200 && reply.body === String(pid);
    },
    timeoutMs,
    () => `worker ${pid} answers a request (answers seen: ${[...seen].join(', ')})`,
    10,
  );
}

let counter = 0;
/** A request id unique in this test run, for the fixture's event files. */
export function newId(label: string): string {
  return `${label}-${process.pid}-${++counter}`;
}
