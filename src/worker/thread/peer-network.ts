// The unix-socket links between the thread-class workers of one server (--share-threads). Worker process, main thread.
import net from 'node:net';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Logger } from '../../log/logger.js';
import { PeerTag, type PeerMessage } from './protocol.js';

export interface PeerNetworkOptions {
  /** The master's private directory (mode 0700) holding one socket per worker, named by pid. */
  dir: string;
  log: Logger;
  onMessage(pid: number, msg: PeerMessage): void;
  /** The link with that worker broke (it exited, or crashed): what was in flight with it is lost. */
  onGone(pid: number): void;
}

/** Where the worker with this pid listens for its peers. */
export const peerSocketPath = (dir: string, pid: number): string => join(dir, `${pid}.sock`);

/**
 * Each worker listens on its own socket in the master's private directory and sends to another
 * worker on a connection it opens to that worker's socket when it first has something to say.
 * Messages are framed (4-byte length, then v8.serialize), so they carry body bytes as they are.
 */
export class PeerNetwork {
  readonly #opts: PeerNetworkOptions;
  readonly #server: net.Server;
  /** Connections this worker sends on, by the receiving worker's pid. */
  readonly #out = new Map<number, net.Socket>();
  /** Connections other workers send on, to this one. */
  readonly #in = new Set<net.Socket>();
  /** The workers serving now, as the master last said (this one excluded). */
  #peers: number[] = [];
  #closed = false;

  constructor(opts: PeerNetworkOptions) {
    this.#opts = opts;
    this.#server = net.createServer((socket) => this.#accepted(socket));
  }

  /** Listens on this worker's socket; resolves once others can connect. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(peerSocketPath(this.#opts.dir, process.pid), () => {
        this.#server.off('error', reject);
        this.#server.on('error', (err) => this.#opts.log.warning(`Peer socket error: ${err.message}`));
        resolve();
      });
    });
  }

  get peers(): readonly number[] {
    return this.#peers;
  }

  /** The workers serving now, from the master. A worker leaving the list finishes what it has in flight. */
  setPeers(pids: readonly number[]): void {
    this.#peers = pids.filter((pid) => pid !== process.pid);
  }

  send(pid: number, msg: PeerMessage): void {
    if (this.#closed) return;
    let link = this.#out.get(pid);
    if (link === undefined) {
      link = this.#connect(pid);
      if (link === undefined) return;
    }
    writeFrame(link, msg);
  }

  #connect(pid: number): net.Socket | undefined {
    const link = net.createConnection(peerSocketPath(this.#opts.dir, pid));
    link.setNoDelay(true);
    this.#out.set(pid, link);
    link.on('error', (err: NodeJS.ErrnoException) => this.#opts.log.debug(`Link to worker ${pid}: ${err.code ?? err.message}`));
    link.on('close', () => {
      if (this.#out.get(pid) === link) this.#out.delete(pid);
      if (!this.#closed) this.#opts.onGone(pid);
    });
    // The other side only sends on its own connection; reading keeps this one's end-of-file visible.
    link.resume();
    writeFrame(link, { p: PeerTag.HELLO, pid: process.pid });
    return link;
  }

  #accepted(socket: net.Socket): void {
    this.#in.add(socket);
    let from = 0;
    socket.on('error', (err: NodeJS.ErrnoException) => this.#opts.log.debug(`Link from worker ${from}: ${err.code ?? err.message}`));
    socket.on('close', () => {
      this.#in.delete(socket);
      if (from !== 0 && !this.#closed) this.#opts.onGone(from);
    });
    readFrames(socket, (msg) => {
      if (from === 0) {
        if (msg.p === PeerTag.HELLO) from = msg.pid;
        else socket.destroy();
        return;
      }
      this.#opts.onMessage(from, msg);
    });
  }

  /** Closes every link and the socket (the master removes the directory). */
  close(): void {
    this.#closed = true;
    this.#server.close();
    for (const link of this.#out.values()) link.destroy();
    for (const socket of this.#in) socket.destroy();
    this.#out.clear();
    this.#in.clear();
  }
}

/**
 * Writes one message as it goes on a link: its length (4 bytes), then its v8.serialize bytes, as
 * two writes sent together (a body chunk is not copied once more to join them).
 */
function writeFrame(link: net.Socket, msg: PeerMessage): void {
  const body = serialize(msg);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length);
  link.cork();
  link.write(head);
  link.write(body);
  link.uncork();
}

/** Calls `onFrame` with each message as its last byte arrives. */
function readFrames(socket: net.Socket, onFrame: (msg: PeerMessage) => void): void {
  let pending: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (buf.length - at >= 4) {
      const length = buf.readUInt32BE(at);
      if (buf.length - at - 4 < length) break;
      onFrame(deserialize(buf.subarray(at + 4, at + 4 + length)) as PeerMessage);
      at += 4 + length;
    }
    pending = at === buf.length ? null : buf.subarray(at);
  });
}
