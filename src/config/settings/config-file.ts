// Settings of the "Config File" section. Declarations only; read by every process.
import { setting } from '../types.js';
import { parseBool, parseString } from '../values.js';

export const config = setting<string | null>({
  name: 'config',
  section: 'Config File',
  flags: ['-c', '--config'],
  kind: 'string',
  metavar: 'PATH',
  cliOnly: true,
  default: () => ({ value: null }),
  defaultDoc: '`./corral.config.ts`, `.mjs` or `.js`, the first that exists',
  parse: (raw) => parseString(raw, 'a path to a config file'),
  help: 'Config file to load (default: ./corral.config.{ts,mjs,js} if present).',
  doc: [
    'The config file to load: a module whose default export is the object from `defineConfig({...})`',
    '(or a plain object with the same keys). TypeScript config files load without a build step.',
    'Without `-c`, corral loads `corral.config.ts`, `corral.config.mjs` or `corral.config.js` from the',
    'working directory, whichever exists first.',
  ].join('\n'),
});

export const checkConfig = setting<boolean>({
  name: 'checkConfig',
  section: 'Debugging',
  flags: ['--check-config'],
  kind: 'boolean',
  cliOnly: true,
  default: () => ({ value: false }),
  defaultDoc: '`false`',
  parse: parseBool,
  help: 'Check the configuration and that the app loads, then exit (0 when good, 1 otherwise).',
  doc: 'Validates every setting (including that bind host names resolve and unix socket directories exist) and loads the app in the current process, then exits with status 0 when both are good and 1 otherwise, printing what is wrong. Nothing is bound and no worker starts, so an address another process holds is not detected.',
});

export const printConfig = setting<boolean>({
  name: 'printConfig',
  section: 'Debugging',
  flags: ['--print-config'],
  kind: 'boolean',
  cliOnly: true,
  default: () => ({ value: false }),
  defaultDoc: '`false`',
  parse: parseBool,
  help: 'Print every effective setting and where its value came from, then exit.',
  doc: 'Prints every setting with its effective value and its source (default, config file, environment variable, `CORRAL_CMD_ARGS` or command line), then exits 0.',
});

export const app = setting<string | null>({
  name: 'app',
  section: 'Config File',
  flags: [],
  kind: 'string',
  metavar: 'APP_MODULE',
  default: () => ({ value: null }),
  defaultDoc: 'none (the `APP_MODULE` argument)',
  parse: (raw) => parseString(raw, 'an APP_MODULE such as "src/app.ts", "src/app.ts:app" or "app.mjs:createApp()"'),
  help: 'The app to serve, when it is not given as the APP_MODULE argument.',
  doc: [
    'The app to serve: `path/to/file[:export]` or `path/to/file:factory()`. The `APP_MODULE` argument on',
    'the command line sets the same thing and takes precedence. Without `:export`, the default export is',
    'used, then an export named `app`. A factory is called with no arguments and may be async.',
  ].join('\n'),
});
