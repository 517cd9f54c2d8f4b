// Resolves the effective configuration from defaults, config file, environment and arguments. Runs in the master.
import { CorralError } from '../errors.js';
import { parseArgs, splitShellWords, type ParsedArgs } from './cli-args.js';
import { findConfigFile, importConfigFile } from './config-file.js';
import { SETTINGS, SETTINGS_BY_NAME, type Config } from './registry.js';
import { envName, type Setting, type Source } from './types.js';
import { BadValue, invalid, nearest } from './values.js';

export interface ResolvedConfig {
  config: Config;
  sources: Record<string, Source>;
  configFile: string | null;
  help: boolean;
  version: boolean;
  /** One-line notices to log once the logger exists (a Gunicorn alias), at INFO. */
  notices: string[];
  /** Settings or variables given that do nothing (ignored, never in effect), logged at WARNING. */
  warnings: string[];
}

/** Notices and warnings gathered while applying values; reset by each loadConfig call. */
let notices: string[] = [];
let warnings: string[] = [];

/** Applies one raw value, turning a BadValue into a message that names the setting as the user wrote it. */
function apply(s: Setting, raw: unknown, shownAs: string, from: string): unknown {
  try {
    const value = s.parse(raw);
    const notice = s.notice?.(raw, value);
    if (notice && !notices.includes(notice)) notices.push(notice);
    return value;
  } catch (err) {
    if (err instanceof BadValue) throw invalid(shownAs, err.item ? err.item.value : raw, err.message, from);
    throw err;
  }
}

/**
 * Resolves settings with this precedence: defaults < config file < CORRAL_<SETTING> environment
 * variables < CORRAL_CMD_ARGS < command line.
 */
export async function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ResolvedConfig> {
  const cli = parseArgs(argv, 'command line');
  const cmdArgs = parseArgs(splitShellWords(env.CORRAL_CMD_ARGS ?? ''), 'CORRAL_CMD_ARGS');
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};
  notices = [];
  warnings = [];

  for (const s of SETTINGS) {
    const d = s.default(env);
    values[s.name] = d.value;
    sources[s.name] = { kind: 'default', detail: d.detail };
  }
  const help = cli.help || cmdArgs.help;
  const version = cli.version || cmdArgs.version;
  const configFile = help || version ? null : findConfigFile(explicitConfig(cli, cmdArgs), cwd);
  if (configFile) applyConfigFile(await importConfigFile(configFile), configFile, values, sources);
  applyEnv(env, values, sources);
  applyArgs(cmdArgs, { kind: 'cmd-args-env' }, 'CORRAL_CMD_ARGS', values, sources);
  applyArgs(cli, { kind: 'command-line' }, 'command line', values, sources);
  checkEnvDefaults(values, sources);
  deriveWorkerClass(values, sources);
  noteIneffective(values, sources);
  return { config: values as Config, sources, configFile, help, version, notices, warnings };
}

/** Settings given explicitly that the rest of the configuration makes do nothing: said once at start. */
function noteIneffective(values: Record<string, unknown>, sources: Record<string, Source>): void {
  const given = (name: string) => sources[name]!.kind !== 'default';
  const workerClass = String(values.workerClass);
  if (workerClass === 'sync' && given('workerConnections')) {
    warnings.push(`--worker-connections ${String(values.workerConnections)} is ignored by the sync worker class (one connection at a time)`);
  }
  if (workerClass !== 'thread' && given('shareThreads') && values.shareThreads === true) {
    warnings.push(`--share-threads is ignored by the ${workerClass} worker class (it shares the thread class's threads)`);
  }
  const timeout = values.timeout as number;
  const warning = values.blockedWarning as number;
  if (given('blockedWarning') && warning > 0 && timeout > 0 && warning >= timeout) {
    warnings.push(`--blocked-warning ${warning} never fires: --timeout ${timeout} kills a blocked worker first (its report is logged then)`);
  }
}

/** As in Gunicorn, `--threads` above 1 with the default worker class selects the thread class. */
function deriveWorkerClass(values: Record<string, unknown>, sources: Record<string, Source>): void {
  const threads = values.threads as number;
  if (threads <= 1) return;
  if (sources.workerClass!.kind === 'default') {
    values.workerClass = 'thread';
    sources.workerClass = { kind: 'default', detail: `threads = ${threads}` };
  } else if (values.workerClass !== 'thread') {
    warnings.push(`--threads ${threads} is ignored by the ${String(values.workerClass)} worker class`);
  }
}

/** `-c PATH` from the command line, else from CORRAL_CMD_ARGS, with how it was given for messages. */
function explicitConfig(cli: ParsedArgs, cmdArgs: ParsedArgs): { path: string; given: string } | null {
  for (const [args, where] of [[cli, 'command line'], [cmdArgs, 'CORRAL_CMD_ARGS']] as const) {
    const path = args.values.get('config');
    if (typeof path === 'string') return { path, given: `${args.flagFor.get('config')} ${path} in ${where}` };
  }
  return null;
}

/** A default built from the environment (`$PORT`, `$WEB_CONCURRENCY`) that nothing overrode must still be valid. */
function checkEnvDefaults(values: Record<string, unknown>, sources: Record<string, Source>): void {
  for (const s of SETTINGS) {
    const src = sources[s.name]!;
    if (src.kind === 'default' && src.detail) values[s.name] = apply(s, values[s.name], s.name, src.detail);
  }
}

function applyConfigFile(
  file: Record<string, unknown>,
  path: string,
  values: Record<string, unknown>,
  sources: Record<string, Source>,
): void {
  const allowed = SETTINGS.filter((s) => !s.cliOnly).map((s) => s.name);
  for (const [key, raw] of Object.entries(file)) {
    const s = SETTINGS_BY_NAME.get(key);
    if (s?.cliOnly) {
      throw new CorralError(
        'CORRAL_ERR_CONFIG_UNKNOWN_KEY',
        `"${key}" in config file ${path} is a command-line option only: use ${s.flags[0]} instead`,
      );
    }
    if (!s) {
      const guess = nearest(key, allowed);
      throw new CorralError(
        'CORRAL_ERR_CONFIG_UNKNOWN_KEY',
        `unknown setting "${key}" in config file ${path}${guess ? `; did you mean "${guess}"?` : ''}` +
          `\nKnown settings: ${allowed.join(', ')}`,
      );
    }
    if (raw === undefined) continue;
    values[key] = apply(s, raw, key, `config file ${path}`);
    sources[key] = { kind: 'config-file', path };
  }
}

function applyEnv(env: NodeJS.ProcessEnv, values: Record<string, unknown>, sources: Record<string, Source>): void {
  for (const s of SETTINGS) {
    if (s.cliOnly) {
      const unread = envName(s.name);
      if (env[unread]) warnings.push(`environment variable ${unread} is ignored: ${s.flags[0]} is a command-line option only (or in CORRAL_CMD_ARGS)`);
      continue;
    }
    const name = envName(s.name);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = s.kind === 'list' ? raw.split(',').map((v) => v.trim()).filter(Boolean) : raw;
    values[s.name] = apply(s, value, name, `environment variable ${name}`);
    sources[s.name] = { kind: 'env', name };
  }
  // A misspelt CORRAL_<NAME> would be ignored in silence: say so when it looks like a setting's.
  // Names are compared without the prefix, so only a typo matches, not any CORRAL_ variable of the app's.
  const known = SETTINGS.filter((s) => !s.cliOnly).map((s) => envName(s.name).slice('CORRAL_'.length));
  for (const key of Object.keys(env)) {
    const name = key.slice('CORRAL_'.length);
    if (!key.startsWith('CORRAL_') || name === 'CMD_ARGS' || known.includes(name)) continue;
    const guess = nearest(name, known);
    if (guess) warnings.push(`environment variable ${key} is not a corral setting and is ignored; did you mean CORRAL_${guess}?`);
  }
}

function applyArgs(
  args: ParsedArgs,
  source: Source,
  where: string,
  values: Record<string, unknown>,
  sources: Record<string, Source>,
): void {
  for (const [name, raw] of args.values) {
    const s = SETTINGS_BY_NAME.get(name)!;
    values[name] = apply(s, raw, args.flagFor.get(name) ?? name, where);
    sources[name] = source;
  }
  if (args.appModule !== undefined) {
    values.app = apply(SETTINGS_BY_NAME.get('app')!, args.appModule, 'APP_MODULE', where);
    sources.app = source;
  }
}

/** How a source reads in --print-config. */
export function describeSource(src: Source): string {
  switch (src.kind) {
    case 'default':
      return src.detail ? `default (from ${src.detail})` : 'default';
    case 'config-file':
      return `config file ${src.path}`;
    case 'env':
      return `environment ${src.name}`;
    case 'cmd-args-env':
      return 'CORRAL_CMD_ARGS';
    case 'command-line':
      return 'command line';
  }
}
