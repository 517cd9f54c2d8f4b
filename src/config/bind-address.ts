// Parses bind addresses (HOST, HOST:PORT, [V6]:PORT, unix:PATH, fd://N). Used by the master and by config validation.
import net from 'node:net';
import { BadValue } from './values.js';

export type BindAddress =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'fd'; fd: number };

export const DEFAULT_PORT = 8000;
const ALLOWED = 'HOST, HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N';

export function parseBindAddress(raw: string): BindAddress {
  const s = raw.trim();
  if (s.startsWith('unix:')) {
    const path = s.slice('unix:'.length);
    if (!path) throw new BadValue(`${ALLOWED} (unix: needs a path)`);
    return { kind: 'unix', path };
  }
  if (s.startsWith('fd://')) {
    const fd = Number(s.slice('fd://'.length));
    if (!Number.isInteger(fd) || fd < 0) throw new BadValue(`${ALLOWED} (fd:// needs a file descriptor number)`);
    return { kind: 'fd', fd };
  }
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    if (!net.isIPv6(v6[1]!)) throw new BadValue(`${ALLOWED} ("${v6[1]}" is not an IPv6 address)`);
    return { kind: 'tcp', host: v6[1]!, port: port(v6[2]) };
  }
  if (net.isIPv6(s)) return { kind: 'tcp', host: s, port: DEFAULT_PORT };
  const m = /^([^:\s/]*)(?::(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && m[2] === undefined)) throw new BadValue(ALLOWED);
  return { kind: 'tcp', host: m[1] || '0.0.0.0', port: port(m[2]) };
}

function port(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PORT;
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new BadValue(`${ALLOWED} with a port from 0 to 65535`);
  return n;
}

/** How an address reads in logs: `http://127.0.0.1:8000`, `http://[::1]:8000`, `unix:/run/app.sock`. */
export function formatAddress(a: BindAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  if (a.kind === 'fd') return `fd://${a.fd}`;
  return `http://${net.isIPv6(a.host) ? `[${a.host}]` : a.host}:${a.port}`;
}
