// The shape of a setting declaration. Used by every process that reads configuration.

/** The docs sections, in the order `--help` and docs/settings.md show them. */
export const SECTIONS = [
  'Config File',
  'Server Socket',
  'Worker Processes',
  'Server Mechanics',
  'Logging',
  'Process Naming',
  'Debugging',
] as const;
export type Section = (typeof SECTIONS)[number];

/** What a setting's value looks like on the command line. */
export type SettingKind = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'enum';

/** Where an effective value came from, for --print-config. */
export type Source =
  | { kind: 'default'; detail?: string }
  | { kind: 'config-file'; path: string }
  | { kind: 'env'; name: string }
  | { kind: 'cmd-args-env' }
  | { kind: 'command-line' };

/**
 * One setting, declared once: it drives the CLI parser, config-file validation,
 * --print-config and the generated docs/settings.md.
 */
export interface Setting<T = unknown> {
  /** camelCase key in the config file. */
  readonly name: string;
  readonly section: Section;
  /** CLI flags, short first (`-w`, `--workers`). Empty for config-file-only settings. */
  readonly flags: readonly string[];
  readonly kind: SettingKind;
  /** Placeholder in --help, e.g. `INT`. Not used for booleans. */
  readonly metavar?: string;
  /** Allowed values for `enum`, as listed in messages and docs. */
  readonly choices?: readonly string[];
  /** A list setting: repeated flags append. */
  readonly repeatable?: boolean;
  /** Only meaningful on the command line (e.g. `--config`, `--print-config`). */
  readonly cliOnly?: boolean;
  /** The default, computed from the environment when it depends on it. */
  readonly default: (env: Readonly<Record<string, string | undefined>>) => { value: T; detail?: string };
  /** How the default reads in docs. */
  readonly defaultDoc: string;
  /** Turns a raw value (a CLI string, or whatever a config file holds) into a valid value, or throws. */
  readonly parse: (raw: unknown) => T;
  /** A one-line notice to log about an accepted value (e.g. a Gunicorn alias). */
  notice?(raw: unknown, value: T): string | undefined; // method syntax: keeps Setting<T> covariant
  /** One line for --help. */
  readonly help: string;
  /** The longer text for docs/settings.md (Markdown). */
  readonly doc: string;
}

/** Declares a setting with its value type inferred from `parse`. */
export function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

/** The environment variable that sets `name` (`gracefulTimeout` -> `CORRAL_GRACEFUL_TIMEOUT`). */
export function envName(name: string): string {
  return 'CORRAL_' + name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}
