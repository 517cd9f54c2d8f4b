// What a conformance case is, and the checks many cases share. Test process only.
import assert from 'node:assert/strict';
import { isAlive } from '../arbiter/support.ts';
import { answeredBy } from './client.ts';
import type { ClassSpec, Server } from './servers.ts';

export type AppName = 'node' | 'fetch';

export interface CaseContext {
  server: Server;
  spec: ClassSpec;
  app: AppName;
}

export interface Case {
  name: string;
  /** The fixture apps it runs against (default both). */
  apps?: readonly AppName[];
  /** A known product bug for this class/app: the case still runs and reports, without failing the suite. */
  todo?: (ctx: Omit<CaseContext, 'server'>) => string | undefined;
  run(ctx: CaseContext): Promise<void>;
}

/**
 * The worker that served a request lived through it: nothing was replaced since the server booted,
 * `servedPid` (when known) is one of the workers it booted with, and every one of them still answers.
 */
export async function assertWorkersLive(server: Server, servedPid?: number): Promise<void> {
  if (servedPid !== undefined) {
    assert.ok(server.bootPids.includes(servedPid), `pid ${servedPid} served the request but is not one of the boot workers ${server.bootPids.join(', ')}`);
    assert.ok(isAlive(servedPid), `worker ${servedPid} died after serving the request`);
  }
  const log = () => `\ncorral's log (end):\n${server.corral.output.slice(-3000)}`;
  for (const pid of server.bootPids) {
    await answeredBy(server.base, pid).catch((err: Error) => {
      throw new Error(err.message + log());
    });
  }
  const since = server.corral.output.slice(server.readyMark);
  assert.doesNotMatch(since, /Booting worker/, `no worker was replaced${log()}`);
  assert.doesNotMatch(since, /Worker \(pid:\d+\) (exited|was sent)/, `no worker exited${log()}`);
}

/** Decodes a chunked message body; throws if the framing is broken or incomplete. */
export function decodeChunked(raw: Buffer): { body: Buffer; frames: number } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error(`chunked body cut short at byte ${at} of ${raw.length}`);
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(raw.subarray(at, lineEnd).toString('latin1'))}`);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers (none expected), then the final CRLF.
      if (raw.indexOf('\r\n', at) !== at) throw new Error('unexpected trailers after the last chunk');
      return { body: Buffer.concat(parts), frames: parts.length };
    }
    if (at + size + 2 > raw.length) throw new Error(`chunk of ${size} bytes cut short`);
    parts.push(raw.subarray(at, at + size));
    at += size;
    if (raw.subarray(at, at + 2).toString('latin1') !== '\r\n') throw new Error('chunk not followed by CRLF');
    at += 2;
  }
}
