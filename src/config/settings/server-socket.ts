// Settings of the "Server Socket" section. Declarations only; read by every process.
import { setting } from '../types.js';
import { parseInt_, parseList } from '../values.js';
import { parseBindAddress } from '../bind-address.js';

export const bind = setting<string[]>({
  name: 'bind',
  section: 'Server Socket',
  flags: ['-b', '--bind'],
  kind: 'list',
  metavar: 'ADDRESS',
  repeatable: true,
  default: (env) =>
    env.PORT ? { value: [`0.0.0.0:${env.PORT}`], detail: '$PORT' } : { value: ['127.0.0.1:8000'] },
  defaultDoc: '`127.0.0.1:8000`, or `0.0.0.0:$PORT` when `PORT` is set',
  parse: (raw) =>
    parseList(raw, (item) => {
      const s = String(item).trim();
      parseBindAddress(s);
      return s;
    }),
  help: 'Address to listen on: HOST, HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N. Repeat for several.',
  doc: [
    'The socket(s) to listen on. Repeat the flag (or give an array in the config file) to listen on',
    'several. Forms: `HOST` (port 8000), `HOST:PORT`, `[IPv6]:PORT`, `unix:PATH` (a stale socket file left',
    'by a dead server is replaced; one a live server answers on is not) and `fd://N` (a socket inherited',
    'from the parent, e.g. from systemd). Port `0` picks a free port; the log says which.',
    'The master binds every address before any worker starts, so a bad or busy address fails at once.',
  ].join('\n'),
});

export const backlog = setting<number>({
  name: 'backlog',
  section: 'Server Socket',
  flags: ['--backlog'],
  kind: 'int',
  metavar: 'INT',
  default: () => ({ value: 2048 }),
  defaultDoc: '`2048`',
  parse: (raw) => parseInt_(raw, 1, 65535),
  help: 'The maximum number of pending connections the kernel queues.',
  doc: 'The length of the listen queue: how many connections may wait to be accepted. The kernel caps it at `net.core.somaxconn`.',
});
