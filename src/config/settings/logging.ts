// Settings of the "Logging" and "Process Naming" sections. Declarations only; read by every process.
import { setting } from '../types.js';
import { parseEnum, parseString } from '../values.js';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logLevel = setting<LogLevel>({
  name: 'logLevel',
  section: 'Logging',
  flags: ['--log-level'],
  kind: 'enum',
  metavar: 'LEVEL',
  choices: LOG_LEVELS,
  default: () => ({ value: 'info' }),
  defaultDoc: '`info`',
  parse: (raw) => parseEnum(raw, LOG_LEVELS),
  help: 'The least severe messages to log: debug, info, warning, error or critical.',
  doc: 'The granularity of the error log: `debug`, `info`, `warning`, `error` or `critical`.',
});

export const errorLogfile = setting<string>({
  name: 'errorLogfile',
  section: 'Logging',
  flags: ['--error-logfile', '--log-file'],
  kind: 'string',
  metavar: 'FILE',
  default: () => ({ value: '-' }),
  defaultDoc: '`-` (standard error)',
  parse: (raw) => parseString(raw, 'a file path, or "-" for standard error'),
  help: 'Where the server\'s log goes: a file path, or "-" for standard error.',
  doc: 'The file the master and workers append their log to; `-` means standard error.',
});

export const name = setting<string | null>({
  name: 'name',
  section: 'Process Naming',
  flags: ['-n', '--name'],
  kind: 'string',
  metavar: 'STRING',
  default: () => ({ value: null }),
  defaultDoc: 'none (the processes show as `corral: master` and `corral: worker`)',
  parse: (raw) => parseString(raw),
  help: 'A name for the processes in ps and top.',
  doc: 'Sets the process titles to `corral: master [NAME]` and `corral: worker [NAME]`, so `ps` tells servers apart. Linux may cut long titles short.',
});
