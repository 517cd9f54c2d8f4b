// Binds every listening socket before any worker starts, and removes unix socket files on exit. Master only.
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { CorralError } from '../errors.js';
import { formatAddress, parseBindAddress, type BindAddress } from '../config/bind-address.js';
import type { Logger } from '../log/logger.js';

/** A libuv TCP or Pipe handle, as node:net keeps it internally. */
export interface ServerHandle {
  fd: number;
  listen(backlog: number): number;
  close(cb?: () => void): void;
  getsockname?(out: Record<string, unknown>): number;
}

// node:net exports this (cluster uses it) to make a bound, not yet listening, server handle.
// The master only binds: it never listens, so it never accepts; the first worker's listen() puts the
// socket into LISTEN state, and the master's copy keeps the queue alive while workers come and go.
type CreateServerHandle = (
  address: string | null,
  port: number,
  addressType: number,
  fd?: number,
  flags?: number,
) => ServerHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

export interface Listener {
  address: BindAddress;
  /** The address as it reads in logs, with the real port when bound to port 0. */
  url: string;
  handle: ServerHandle;
}

/** Binds all addresses or throws a CorralError naming the first that failed (closing the rest). */
export async function bindAll(addresses: readonly string[], log: Logger): Promise<Listener[]> {
  const bound: Listener[] = [];
  try {
    for (const raw of addresses) {
      const listener = await bindOne(parseBindAddress(raw), log);
      // Port 0 binds get distinct real ports, so equal URLs are the same address given twice.
      const same = bound.some((b) => b.url === listener.url);
      bound.push(listener);
      if (same) throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${listener.url}: given twice (--bind)`);
    }
    probeTogether(bound);
  } catch (err) {
    closeAll(bound);
    throw err;
  }
  return bound;
}

/** A TCP address's host as an IP address and family, looked up when it is a name. */
async function resolveHost(address: BindAddress & { kind: 'tcp' }): Promise<{ host: string; family: number }> {
  const family = net.isIP(address.host);
  if (family !== 0) return { host: address.host, family };
  const found = await dns.lookup(address.host).catch((err: Error) => {
    throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${formatAddress(address)}: host "${address.host}" does not resolve (${err.message})`);
  });
  return { host: found.address, family: found.family };
}

/**
 * What --check-config can check of the bind addresses without binding them: that host names
 * resolve and that a unix socket's directory exists.
 */
export async function checkBindable(addresses: readonly string[]): Promise<void> {
  for (const raw of addresses) {
    const address = parseBindAddress(raw);
    if (address.kind === 'tcp') await resolveHost(address);
    else if (address.kind === 'unix') unixSocketPath(address);
  }
}

/** A unix socket address's absolute path, once its directory is known to exist. */
function unixSocketPath(address: BindAddress & { kind: 'unix' }): string {
  const full = path.resolve(address.path);
  if (!fs.statSync(path.dirname(full), { throwIfNoEntry: false })?.isDirectory()) {
    throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${formatAddress(address)}: directory ${path.dirname(full)} does not exist`);
  }
  return full;
}

async function bindOne(address: BindAddress, log: Logger): Promise<Listener> {
  // With an fd, node:net wants no address and no port (0), whatever the socket is.
  if (address.kind === 'fd') return { address, url: formatAddress(address), handle: check(createServerHandle(null, 0, -1, address.fd), address) };
  if (address.kind === 'unix') {
    const full = unixSocketPath(address);
    await removeStaleSocket(full, address, log);
    const resolved: BindAddress = { kind: 'unix', path: full };
    return { address: resolved, url: formatAddress(resolved), handle: check(createServerHandle(full, -1, -1), address) };
  }
  const { host, family } = await resolveHost(address);
  const handle = check(createServerHandle(host, address.port, family), address);
  const out: Record<string, unknown> = {};
  handle.getsockname?.(out);
  const real: BindAddress = { kind: 'tcp', host, port: typeof out.port === 'number' ? out.port : address.port };
  try {
    probeListen(host, real.port, family, real);
  } catch (err) {
    handle.close();
    throw err;
  }
  return { address: real, url: formatAddress(real), handle };
}

/**
 * Linux lets a socket with SO_REUSEADDR bind a port that another socket listens on; only listen()
 * fails. The master never listens on its own socket (it would accept), so it proves the port is
 * free with a throwaway socket that listens and closes in the same tick, before a connection could
 * be accepted on it.
 */
function probeListen(host: string, port: number, family: number, address: BindAddress): void {
  const probe = check(createServerHandle(host, port, family), address);
  const err = probe.listen(1);
  probe.close();
  if (err) check(err, address);
}

/**
 * Each address was proved free on its own (probeListen), but two of them can still overlap — e.g.
 * `[::]:8000`, which also takes IPv4, and `0.0.0.0:8000` — and then only the workers' listen()
 * would fail. So listen on all of them at once, with throwaway sockets closed in the same tick.
 */
function probeTogether(bound: readonly Listener[]): void {
  const probes: ServerHandle[] = [];
  try {
    for (const l of bound) {
      if (l.address.kind !== 'tcp') continue;
      const probe = check(createServerHandle(l.address.host, l.address.port, net.isIP(l.address.host)), l.address);
      probes.push(probe);
      if (probe.listen(1) !== 0) {
        throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${l.url}: it overlaps another --bind address (an IPv6 wildcard such as [::]:${l.address.port} also takes IPv4 connections on that port)`);
      }
    }
  } finally {
    for (const p of probes) p.close();
  }
}

function check(result: ServerHandle | number, address: BindAddress): ServerHandle {
  if (typeof result !== 'number') return result;
  const name = util.getSystemErrorName(result);
  const where = formatAddress(address);
  const why: Record<string, string> = {
    EADDRINUSE: 'address already in use (another server is listening there)',
    EACCES: 'permission denied (ports below 1024 need privileges; unix sockets need a writable directory)',
    EADDRNOTAVAIL: 'address not available on this machine',
    EBADF: 'not an open file descriptor',
    ENOTSOCK: 'not a socket',
  };
  // libuv answers EINVAL for a descriptor that is not an open socket it can listen on.
  if (address.kind === 'fd' && (name === 'EINVAL' || name === 'EBADF')) {
    throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${where}: file descriptor ${address.fd} is not an open socket corral can listen on (${name}); pass it to corral open (e.g. from systemd socket activation)`);
  }
  throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${where}: ${why[name] ?? name}`);
}

/** A socket file nobody answers on is left over from a dead server: remove it. A live one is an error. */
async function removeStaleSocket(file: string, address: BindAddress, log: Logger): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return;
  }
  if (!stat.isSocket()) {
    throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${formatAddress(address)}: ${file} exists and is not a socket`);
  }
  if (await answers(file)) {
    throw new CorralError('CORRAL_ERR_BIND', `cannot bind ${formatAddress(address)}: address already in use (a live server answers on ${file})`);
  }
  fs.unlinkSync(file);
  log.info(`Removed stale socket file ${file}`);
}

function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(file);
    const done = (live: boolean) => {
      sock.destroy();
      resolve(live);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

/** Closes the master's handles and removes the unix socket files it created. */
export function closeAll(listeners: readonly Listener[]): void {
  for (const l of listeners) {
    l.handle.close();
    if (l.address.kind === 'unix') fs.rmSync(l.address.path, { force: true });
  }
}
