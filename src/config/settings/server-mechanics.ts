// Settings of the "Server Mechanics" section. Declarations only; read by every process.
import fs from 'node:fs';
import path from 'node:path';
import { setting } from '../types.js';
import { BadValue, parseBool, parseList, parseString } from '../values.js';

export const preload = setting<boolean>({
  name: 'preload',
  section: 'Server Mechanics',
  flags: ['--preload'],
  kind: 'boolean',
  default: () => ({ value: false }),
  defaultDoc: '`false`',
  parse: parseBool,
  help: 'Load the app in the master before forking, to fail fast on a broken app.',
  doc: [
    'Load the app once in the master before any worker starts, so a broken app stops the server with',
    'its error before anything is forked. Unlike Gunicorn, this saves no memory: Node cannot fork a',
    'warm V8 heap, so every worker still loads the app itself. Use it for the early, single error',
    'message; leave it off for the fastest start.',
  ].join('\n'),
});

export const chdir = setting<string | null>({
  name: 'chdir',
  section: 'Server Mechanics',
  flags: ['--chdir'],
  kind: 'string',
  metavar: 'DIR',
  default: () => ({ value: null }),
  defaultDoc: 'the working directory corral starts in',
  parse: (raw) => {
    const dir = parseString(raw, 'a directory path');
    if (dir !== null && !fs.statSync(path.resolve(dir), { throwIfNoEntry: false })?.isDirectory()) {
      throw new BadValue('an existing directory');
    }
    return dir;
  },
  help: 'Change to this directory before loading the app.',
  doc: 'Change to this directory after reading the config file and before loading the app. `APP_MODULE`, a relative pidfile, a relative error log file and relative unix socket paths are then relative to it.',
});

export const env = setting<string[]>({
  name: 'env',
  section: 'Server Mechanics',
  flags: ['-e', '--env'],
  kind: 'list',
  metavar: 'KEY=VALUE',
  repeatable: true,
  default: () => ({ value: [] }),
  defaultDoc: 'none',
  parse: (raw) => {
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      return Object.entries(raw).map(([k, v]) => {
        if (!['string', 'number', 'boolean'].includes(typeof v)) {
          throw new BadValue('an object of variable names to strings (or numbers, booleans)', { value: { [k]: v } });
        }
        return `${k}=${String(v)}`;
      });
    }
    return parseList(raw, (item) => {
      const s = String(item);
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(s)) throw new BadValue('KEY=VALUE with KEY a valid variable name');
      return s;
    });
  },
  help: 'Set an environment variable for the app (KEY=VALUE). Repeat for several.',
  doc: 'Environment variables set in the master before the app loads, and so seen by every worker. On the command line, `-e KEY=VALUE`, repeated; in the config file, an array of `KEY=VALUE` strings or an object.',
});

/** corral's default V8 flags for its workers: see the setting's doc and docs/architecture.md. */
export const DEFAULT_V8_FLAGS = ['--no-concurrent-array-buffer-sweeping'];

export const v8Flags = setting<string[]>({
  name: 'v8Flags',
  section: 'Server Mechanics',
  flags: ['--v8-flags'],
  kind: 'list',
  metavar: 'FLAGS',
  default: () => ({ value: [...DEFAULT_V8_FLAGS] }),
  defaultDoc: '`--no-concurrent-array-buffer-sweeping`',
  parse: (raw) => {
    // Space-separated, in one string or in each item of a list (CORRAL_V8_FLAGS is split on commas).
    const words = (s: unknown): unknown[] => (typeof s === 'string' ? s.trim().split(/\s+/).filter((w) => w !== '') : [s]);
    const items = Array.isArray(raw) ? raw.flatMap(words) : words(raw);
    return parseList(items, (item) => {
      const s = String(item);
      if (!/^--[A-Za-z0-9_-]+(=\S+)?$/.test(s)) throw new BadValue('V8 flags such as --no-concurrent-array-buffer-sweeping, space-separated ("" for none)');
      return s;
    });
  },
  help: 'V8 flags each worker process sets as it starts (space-separated; "" for none).',
  doc: [
    'V8 flags each worker sets with `v8.setFlagsFromString()` before it loads the app, so they apply to',
    'its main thread and its app threads. Only flags V8 reads while running take effect this way (heap',
    'sizes belong on the `node` command line, which workers inherit); an unknown flag is reported by V8',
    'on standard error and ignored, and the others still apply. The default, `--no-concurrent-array-buffer-sweeping`, has V8 free',
    "the memory of dead Buffers and ArrayBuffers on the thread that allocated it instead of on a helper",
    "thread: with glibc's allocator that made a Buffer-heavy handler about 30 % cheaper on a main",
    'thread and 40 % on a worker thread (measurements in docs/architecture.md). Pass `""` to run with',
    "V8's own defaults.",
  ].join('\n'),
});

export const pid = setting<string | null>({
  name: 'pid',
  section: 'Server Mechanics',
  flags: ['-p', '--pid'],
  kind: 'string',
  metavar: 'FILE',
  default: () => ({ value: null }),
  defaultDoc: 'none',
  parse: (raw) => parseString(raw, 'a file path'),
  help: 'Write the master\'s pid to this file (removed on exit).',
  doc: 'A file the master writes its pid to once the sockets are bound, and removes on exit. A pidfile naming a process that is still running stops corral from starting; a stale one is replaced.',
});
