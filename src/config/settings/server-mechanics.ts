// Settings of the "Server Mechanics" section. Declarations only; read by every process.
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
  parse: (raw) => parseString(raw, 'a directory path'),
  help: 'Change to this directory before loading the app.',
  doc: 'Change to this directory after reading the config file and before loading the app. `APP_MODULE`, a relative pidfile and relative unix socket paths are then relative to it.',
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
      return Object.entries(raw).map(([k, v]) => `${k}=${String(v)}`);
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
