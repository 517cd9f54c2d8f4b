// Shared helpers for the arbiter and async-worker integration tests: raw HTTP over net, polling with deadlines, process probes. Test process only.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';

/** The fixture request listener (see its header for the routes), relative to the repository root. */
export const ROUTES_APP = 'test/fixtures/servers/routes.mjs';

export function fixture(name: string): string {
  return `test/fixtures/servers/${name}`;
}

/** Polls `probe` until it returns a truthy value, or rejects at the deadline naming `what` (a function is read then). */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  timeoutMs: number,
  what: string | (() => string),
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Rejects with `what` if `promise` has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A temp directory removed by the returned cleanup. Short, so unix socket paths fit in sun_path. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface GetOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Talk to a unix socket instead of the URL's host and port. */
  socketPath?: string;
}

/** One request on a fresh connection (no agent), with a deadline. */
export function get(base: string, pathname = '/', opts: GetOptions = {}): Promise<Reply> {
  const url = new URL(pathname, opts.socketPath ? 'http://localhost' : base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      opts.socketPath
        ? { socketPath: opts.socketPath, path: url.pathname + url.search, headers: opts.headers, agent: false }
        : { host: url.hostname, port: url.port, path: url.pathname + url.search, headers: opts.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error(`GET ${url.pathname} got no response within ${opts.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET with `Connection: close` until `count` distinct worker pids have answered "/". */
export async function distinctPidsServing(base: string, count: number, timeoutMs = 10_000): Promise<Set<number>> {
  const seen = new Set<number>();
  await waitUntil(async () => {
    const reply = await get(base, '/', { headers: { connection: 'close' } });
    if (reply.status === 200) seen.add(Number(reply.body));
    return seen.size >= count;
  }, timeoutMs, () => `${count} distinct worker pids answered (saw ${[...seen].join(', ')})`, 0);
  return seen;
}

/**
 * One client connection driven by hand, so a test can keep it idle, reuse it, and see the server
 * close it. Responses must carry Content-Length (every fixture route does) or end with the connection.
 */
export class RawConnection {
  readonly socket: net.Socket;
  /** Resolves when the server ends or the connection closes, whichever comes first. */
  readonly closed: Promise<void>;
  isClosed = false;
  /** Set when the connection was reset or failed rather than closed cleanly. */
  error: Error | null = null;
  #buffer = Buffer.alloc(0);
  #onData: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.isClosed = true;
        this.#onData?.();
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
    });
    socket.on('error', (err) => (this.error = err));
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#onData?.();
    });
  }

  /** Connects to a TCP port on 127.0.0.1 or to a unix socket path. */
  static open(target: number | string, timeoutMs = 5000): Promise<RawConnection> {
    const socket = typeof target === 'number' ? net.connect(target, '127.0.0.1') : net.connect(target);
    return within(
      new Promise<RawConnection>((resolve, reject) => {
        socket.once('connect', () => resolve(new RawConnection(socket)));
        socket.once('error', reject);
      }),
      timeoutMs,
      `connect to ${target}`,
    ).catch((err: unknown) => {
      socket.destroy();
      throw err;
    });
  }

  /** Sends raw bytes. */
  write(data: string): void {
    this.socket.write(data);
  }

  /**
   * Sends raw bytes and waits until the server has read them: its end of this TCP connection has
   * nothing left in the kernel's receive queue (/proc/net/tcp). Linux, 127.0.0.1 only.
   */
  async writeAndWaitRead(data: string, timeoutMs = 5000): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
    const hex = (port: number) => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const server = hex(this.socket.remotePort!);
    const client = hex(this.socket.localPort!);
    await waitUntil(() => {
      for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // sl local rem st tx_queue:rx_queue ...
        if (f[1] === server && f[2] === client) return Number.parseInt(f[4]!.split(':')[1]!, 16) === 0;
      }
      throw new Error(`no TCP connection ${server} <- ${client} in /proc/net/tcp`);
    }, timeoutMs, 'the server has read what was sent');
  }

  /** Sends a GET on this connection and reads one response. */
  request(pathname = '/', timeoutMs = 5000, headers: Record<string, string> = {}): Promise<Reply> {
    const lines = [`GET ${pathname} HTTP/1.1`, 'Host: localhost', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    this.write(lines.join('\r\n') + '\r\n\r\n');
    return this.readResponse(timeoutMs);
  }

  /** Reads one response from what the server sent (or sends). */
  readResponse(timeoutMs = 5000): Promise<Reply> {
    return within(
      new Promise<Reply>((resolve, reject) => {
        const check = () => {
          const parsed = this.#parse();
          if (parsed) {
            this.#onData = null;
            resolve(parsed);
          } else if (this.isClosed) {
            this.#onData = null;
            reject(this.error ?? new Error(`connection closed before a full response (got ${JSON.stringify(this.#buffer.toString())})`));
          }
        };
        this.#onData = check;
        check();
      }),
      timeoutMs,
      `a response on the connection (got so far ${JSON.stringify(this.#buffer.toString())})`,
    ).finally(() => (this.#onData = null));
  }

  /** True if any response bytes have arrived that no readResponse took. */
  get hasUnreadBytes(): boolean {
    return this.#buffer.length > 0;
  }

  #parse(): Reply | null {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: http.IncomingHttpHeaders = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
    const available = this.#buffer.length - end - 4;
    if (length === null ? !this.isClosed : available < length) return null;
    const bodyEnd = end + 4 + (length ?? available);
    const body = this.#buffer.subarray(end + 4, bodyEnd).toString('utf8');
    this.#buffer = this.#buffer.subarray(bodyEnd);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Runs `body` against corral serving the routes app with `args`, over one raw connection; cleans up after. */
export async function withConnection(args: string[], body: (corral: Corral, conn: RawConnection) => Promise<void>): Promise<void> {
  let corral: Corral | undefined;
  let conn: RawConnection | undefined;
  try {
    corral = await startCorral([ROUTES_APP, ...args]);
    conn = await RawConnection.open(portOf(corral.url));
    await body(corral, conn);
  } finally {
    conn?.destroy();
    await corral?.stop();
  }
}

/** 'refused' if nothing listens on the port, 'connected' if the kernel completed the handshake. */
export function tryConnect(port: number, timeoutMs = 2000): Promise<'refused' | 'connected'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to port ${port} neither completed nor failed within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') resolve('refused');
      else reject(err);
    });
  });
}

/** A process that exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: kill(0) is all we know
  }
}

/** The live (non-zombie) child processes of `pid`, read from /proc. */
export function liveChildren(pid: number): number[] {
  const children = new Set<number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    for (const child of text ? text.split(/\s+/) : []) children.add(Number(child));
  }
  return [...children].filter(isAlive);
}

/** Stops every corral given, whatever state it is in (for `finally` blocks). */
export async function stopAll(...corrals: Array<Corral | undefined>): Promise<void> {
  await Promise.all(corrals.map((c) => c?.stop(5000)));
}
