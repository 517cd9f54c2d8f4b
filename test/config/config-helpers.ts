// Helpers for the config tests: temp dirs, --print-config parsing, a free port. Test process only.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Corral, FIXTURES, type StartOptions } from '../helpers/corral.ts';

export const CONFIG_FIXTURES = path.join(FIXTURES, 'configs');
export const APP = path.join(CONFIG_FIXTURES, 'app.mjs');

const dirs = new Set<string>();
process.on('exit', () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir (with `files` written into it), removed when the test process exits. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-config-'));
  dirs.add(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/**
 * Runs the CLI to exit, like runCorral, but returns only once stdout and stderr are drained:
 * a child's 'exit' can come before its last output ('close' cannot), and a message lost that way
 * fails a test at random.
 */
export async function run(
  args: string[],
  opts: StartOptions = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const corral = new Corral(args, opts);
  const closed = once(corral.proc, 'close');
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`corral ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${corral.output}`)), timeoutMs);
  });
  try {
    const [code, signal] = (await Promise.race([closed, deadline])) as [number | null, NodeJS.Signals | null];
    return { code, signal, output: corral.output };
  } finally {
    clearTimeout(timer);
    await corral.stop(1000);
  }
}

export interface PrintedSetting {
  value: unknown;
  source: string;
}

export interface PrintedConfig {
  configFile: string;
  settings: Map<string, PrintedSetting>;
}

/** Runs `corral --print-config ...args`, asserts it exits 0, and parses every `name = value  # source` row. */
export async function printConfig(args: string[], opts: StartOptions = {}): Promise<PrintedConfig> {
  const { code, output } = await run(['--print-config', ...args], opts);
  assert.equal(code, 0, `--print-config failed:\n${output}`);
  const settings = new Map<string, PrintedSetting>();
  let configFile = '';
  for (const line of output.split('\n')) {
    const file = /^# config file: (.*)$/.exec(line);
    if (file) configFile = file[1]!;
    const row = /^(\w+)\s+= (.*?)  # (.*)$/.exec(line);
    if (row) settings.set(row[1]!, { value: JSON.parse(row[2]!), source: row[3]! });
  }
  assert.ok(settings.size > 0, `no settings in --print-config output:\n${output}`);
  return { configFile, settings };
}

/** One setting from a printed config, failing clearly when it is missing. */
export function get(printed: PrintedConfig, name: string): PrintedSetting {
  const s = printed.settings.get(name);
  assert.ok(s, `--print-config has no row for ${name}; rows: ${[...printed.settings.keys()].join(', ')}`);
  return s;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `fn` until it returns a value other than undefined, or throws at the deadline with `what`. */
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
