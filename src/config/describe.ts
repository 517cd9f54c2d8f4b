// Renders --help, --print-config and docs/settings.md from the settings registry. Runs in the master and the docs script.
import { SETTINGS } from './registry.js';
import { SECTIONS, envName, type Setting } from './types.js';
import { describeSource, type ResolvedConfig } from './load-config.js';

function flagText(s: Setting): string {
  const flags = s.flags.join(', ');
  return s.kind === 'boolean' || !s.metavar ? flags : `${flags} ${s.metavar}`;
}

/** What --help says of a setting's default: the docs' wording, or how to turn off a boolean that is on. */
function defaultNote(s: Setting): string {
  if (s.kind === 'boolean') {
    const long = s.flags.find((f) => f.startsWith('--'));
    return s.default({}).value === true && long ? ` [on by default; --no-${long.slice(2)} turns it off]` : '';
  }
  if (!s.defaultDoc || s.defaultDoc === 'none' || /\(default/.test(s.help)) return '';
  return ` [default: ${s.defaultDoc.replace(/`/g, '')}]`;
}

export function helpText(version: string): string {
  const lines = [
    `corral ${version}: a pre-fork HTTP server for Node.js apps`,
    '',
    'Usage: corral [OPTIONS] APP_MODULE',
    '',
    '  APP_MODULE   path/to/app.ts[:export] or path/to/app.ts:factory()',
    '               (default export, else the export named "app")',
    '',
    '  -h, --help       show this help and exit',
    '  -v, --version    show the version and exit',
  ];
  for (const section of SECTIONS) {
    const inSection = SETTINGS.filter((s) => s.section === section && s.flags.length > 0);
    if (inSection.length === 0) continue;
    lines.push('', `${section}:`);
    for (const s of inSection) {
      const left = `  ${flagText(s)}`;
      const help = s.help + defaultNote(s);
      lines.push(left.length < 32 ? left.padEnd(32) + help : `${left}\n${' '.repeat(32)}${help}`);
    }
  }
  lines.push(
    '',
    'Precedence: defaults < config file < CORRAL_<SETTING> variables < CORRAL_CMD_ARGS < command line.',
    'Every setting: docs/settings.md.',
  );
  return lines.join('\n');
}

export function printConfigText(resolved: ResolvedConfig): string {
  const width = Math.max(...SETTINGS.map((s) => s.name.length));
  const rows = SETTINGS.map((s) => {
    const value = JSON.stringify((resolved.config as Record<string, unknown>)[s.name]);
    // The file found in the working directory (no -c) is the one in effect, not "null".
    if (s.name === 'config' && value === 'null' && resolved.configFile) {
      return `${s.name.padEnd(width)} = ${JSON.stringify(resolved.configFile)}  # found in the working directory`;
    }
    return `${s.name.padEnd(width)} = ${value}  # ${describeSource(resolved.sources[s.name]!)}`;
  });
  const file = resolved.configFile ? `# config file: ${resolved.configFile}` : '# config file: none';
  return [file, ...rows].join('\n');
}

/** The whole of docs/settings.md. */
export function settingsMarkdown(): string {
  const out = [
    '# Settings',
    '',
    '<!-- Generated from src/config/settings/ by `npm run docs:settings`. Do not edit by hand. -->',
    '',
    'Every setting can be given, from lowest to highest precedence: as its default; in the config file',
    '(`corral.config.ts`, `.mjs` or `.js` in the working directory, or `-c PATH`) under its camelCase',
    'name; as an environment variable `CORRAL_<NAME>` (lists comma-separated); in `CORRAL_CMD_ARGS`',
    '(command-line flags in one variable); and on the command line.',
    '',
    '```ts',
    "import { defineConfig } from 'corral';",
    '',
    'export default defineConfig({',
    "  app: 'src/server.ts:app',",
    "  bind: ['0.0.0.0:8000'],",
    "  workers: 'auto',",
    '  gracefulTimeout: 20,',
    '});',
    '```',
  ];
  for (const section of SECTIONS) {
    const inSection = SETTINGS.filter((s) => s.section === section);
    if (inSection.length === 0) continue;
    out.push('', `## ${section}`);
    for (const s of inSection) out.push('', ...settingDoc(s));
  }
  return out.join('\n') + '\n';
}

function settingDoc(s: Setting): string[] {
  const rows = [`### \`${s.name}\``, '', s.help, ''];
  if (s.flags.length) rows.push(`- Command line: \`${flagText(s)}\`${s.repeatable ? ' (repeatable)' : ''}`);
  if (!s.cliOnly) rows.push(`- Config file: \`${s.name}\``, `- Environment: \`${envName(s.name)}\``);
  else rows.push('- Command line only');
  if (s.choices) rows.push(`- Values: ${s.choices.map((c) => `\`${c}\``).join(', ')}`);
  rows.push(`- Default: ${s.defaultDoc}`, '', s.doc);
  return rows;
}
