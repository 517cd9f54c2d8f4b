// Parses command-line arguments (and CORRAL_CMD_ARGS) against the settings registry. Runs in the master.
import { CorralError } from '../errors.js';
import { SETTINGS, SETTINGS_BY_FLAG } from './registry.js';
import { nearest, parseBool } from './values.js';
import type { Setting } from './types.js';

export interface ParsedArgs {
  /** Raw values by setting name; repeated flags of list settings accumulate. */
  values: Map<string, unknown>;
  /** Which flag set each value, for messages. */
  flagFor: Map<string, string>;
  appModule?: string;
  help: boolean;
  version: boolean;
}

const ALL_FLAGS = SETTINGS.flatMap((s) => s.flags.flatMap((f) => (s.kind === 'boolean' ? [f, noFlag(f)] : [f])));

function noFlag(flag: string): string {
  return flag.replace(/^--/, '--no-');
}

function usage(message: string): CorralError {
  return new CorralError('CORRAL_ERR_CLI_USAGE', `${message}\nRun 'corral --help' for the list of options.`);
}

function lookup(flag: string): { setting: Setting; negated: boolean } | undefined {
  // Gunicorn spells one flag --limit-request-field_size; accept '_' for '-' everywhere.
  const normal = flag.startsWith('--') ? '--' + flag.slice(2).replace(/_/g, '-') : flag;
  const direct = SETTINGS_BY_FLAG.get(normal);
  if (direct) return { setting: direct, negated: false };
  if (normal.startsWith('--no-')) {
    const s = SETTINGS_BY_FLAG.get('--' + normal.slice(5));
    if (s?.kind === 'boolean') return { setting: s, negated: true };
  }
  return undefined;
}

/** Parses argv (without node and script). `where` names the origin in messages. */
export function parseArgs(argv: readonly string[], where = 'command line'): ParsedArgs {
  const out: ParsedArgs = { values: new Map(), flagFor: new Map(), help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) setApp(out, rest, where);
      break;
    }
    if (arg === '-h' || arg === '--help') out.help = true;
    else if (arg === '-v' || arg === '--version') out.version = true;
    else if (arg.startsWith('-') && arg !== '-') i = parseFlag(out, argv, i, where);
    else setApp(out, arg, where);
  }
  return out;
}

function setApp(out: ParsedArgs, arg: string, where: string): void {
  if (out.appModule !== undefined) {
    throw usage(`unexpected argument ${JSON.stringify(arg)} in ${where}: APP_MODULE is already ${JSON.stringify(out.appModule)}`);
  }
  out.appModule = arg;
}

/**
 * Gunicorn flags a Gunicorn user may type that corral does not have, with what to do instead: a
 * nearest-name guess would mislead (--reload is not --preload).
 */
const GUNICORN_FLAGS_NOT_HERE: Readonly<Record<string, string>> = {
  '--reload': 'is not supported: corral does not watch files; send HUP to the master to load new code (from a file watcher, if you like)',
  '--reload-engine': 'is not supported: corral does not watch files; send HUP to the master to load new code',
  '--reload-extra-file': 'is not supported: corral does not watch files; send HUP to the master to load new code',
  '--max-requests': 'is not supported yet',
  '--max-requests-jitter': 'is not supported yet',
  '--limit-request-line': 'is not supported yet; Node limits the request line and headers to 16 KB in all (431 past it)',
  '--limit-request-fields': 'is not supported yet; Node keeps the first 2000 header fields of a request',
  '--limit-request-field_size': 'is not supported yet; Node limits the request line and headers to 16 KB in all (431 past it)',
  '--limit-request-field-size': 'is not supported yet; Node limits the request line and headers to 16 KB in all (431 past it)',
  '--access-logfile': 'is not supported yet: corral writes no access log (log requests in the app, or in a proxy in front)',
  '--access-logformat': 'is not supported yet: corral writes no access log',
  '--daemon': 'is not supported: run corral under systemd or another supervisor',
  '--user': 'is not supported yet: start corral as the user it should run as',
  '--group': 'is not supported yet: start corral as the group it should run as',
  '--certfile': 'is not supported yet: terminate TLS in a proxy in front of corral',
  '--keyfile': 'is not supported yet: terminate TLS in a proxy in front of corral',
  '--statsd-host': 'is not supported yet',
};

/** Handles one flag at argv[i]; returns the index of the last argument it consumed. */
function parseFlag(out: ParsedArgs, argv: readonly string[], i: number, where: string): number {
  const arg = argv[i]!;
  let flag = arg;
  let inline: string | undefined;
  const eq = arg.indexOf('=');
  if (arg.startsWith('--') && eq > 0) [flag, inline] = [arg.slice(0, eq), arg.slice(eq + 1)];
  else if (/^-[a-zA-Z]./.test(arg)) [flag, inline] = [arg.slice(0, 2), arg.slice(2).replace(/^=/, '')];

  const found = lookup(flag);
  if (!found) {
    const gunicorn = GUNICORN_FLAGS_NOT_HERE[flag];
    if (gunicorn) throw usage(`unknown option ${flag} in ${where}: Gunicorn's ${flag} ${gunicorn}`);
    const guess = nearest(flag, ALL_FLAGS);
    throw usage(`unknown option ${flag} in ${where}${guess ? `; did you mean ${guess}?` : ''}`);
  }
  const { setting, negated } = found;
  let value: unknown;
  if (setting.kind === 'boolean') {
    // A value after --no-X is negated once it is known to be a boolean; the setting's parser
    // judges the rest (and says what is allowed).
    value = inline === undefined ? !negated : negated ? negate(inline) : inline;
  } else {
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw usage(`option ${flag} needs a value (${setting.metavar ?? 'VALUE'}) in ${where}`);
      inline = argv[++i]!;
      // `-n --preload` is a missing name more likely than a name that starts with dashes.
      if (inline.startsWith('-') && lookup(inline.split('=')[0]!) !== undefined) {
        throw usage(`option ${flag} needs a value (${setting.metavar ?? 'VALUE'}) in ${where}, but the next argument is the option ${inline}; write ${flag}=${inline} if that is the value`);
      }
    }
    value = inline;
  }
  if (setting.repeatable) {
    const prev = (out.values.get(setting.name) as unknown[] | undefined) ?? [];
    out.values.set(setting.name, [...prev, value]);
  } else {
    out.values.set(setting.name, value);
  }
  out.flagFor.set(setting.name, flag);
  return i;
}

/** The value for --no-X=VALUE: the opposite of VALUE as a boolean, or VALUE itself for the parser to reject. */
function negate(inline: string): unknown {
  try {
    return !parseBool(inline);
  } catch {
    return inline;
  }
}

/** Splits CORRAL_CMD_ARGS like a POSIX shell would: whitespace separates, quotes group, backslash escapes. */
export function splitShellWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let started = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) words.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (quote) throw usage(`unterminated ${quote} quote in CORRAL_CMD_ARGS`);
  if (started) words.push(cur);
  return words;
}
