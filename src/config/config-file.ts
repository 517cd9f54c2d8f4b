// Finds and imports corral.config.{ts,mjs,js} (or -c PATH). Runs in the master (and in workers for hooks).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CorralError } from '../errors.js';

export const CONFIG_FILE_NAMES = ['corral.config.ts', 'corral.config.mjs', 'corral.config.js'] as const;
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * The config file to load: `explicit` (must exist; `given` says how the user named it, e.g.
 * `-c prod.ts in command line`) or the first default name in `cwd`, else null.
 */
export function findConfigFile(explicit: { path: string; given: string } | null, cwd: string): string | null {
  if (explicit) {
    const full = path.resolve(cwd, explicit.path);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) {
      throw new CorralError('CORRAL_ERR_CONFIG_FILE', `config file not found: ${full} (from ${explicit.given})`);
    }
    if (stat.isDirectory()) {
      throw new CorralError('CORRAL_ERR_CONFIG_FILE', `config file ${full} (from ${explicit.given}) is a directory; give the file, e.g. ${path.join(explicit.path, 'corral.config.mjs')}`);
    }
    return full;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const full = path.join(cwd, name);
    if (fs.existsSync(full)) return full;
  }
  return null;
}

/** Imports a config file and returns its settings object (the default export, or the module itself). */
export async function importConfigFile(file: string): Promise<Record<string, unknown>> {
  let mod: Record<string, unknown>;
  try {
    mod = TS_EXTENSIONS.has(path.extname(file))
      ? await importTypeScript(file)
      : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  } catch (err) {
    // Name the file and line (a syntax error in an ES module has none in its stack).
    const { describeLoadFailure } = await import('../app/load-error.js');
    const found = describeLoadFailure(err, path.resolve(file), process.cwd());
    const detail = found !== undefined ? `${found.isParseError ? 'a syntax error' : 'an error'} at ${found.at}: ${found.what}`
      : err instanceof Error ? (err.stack ?? err.message) : String(err);
    throw new CorralError('CORRAL_ERR_CONFIG_FILE', `could not load config file ${file}: ${detail}`, { cause: err });
  }
  mod = unwrapCommonJs(mod);
  // Settings may also be named exports (Gunicorn's style); a named `config` object is a default
  // export gone astray, which would otherwise read as the command-line-only setting `config`.
  if (!('default' in mod) && mod.config !== null && typeof mod.config === 'object') {
    throw new CorralError('CORRAL_ERR_CONFIG_FILE',
      `config file ${file} has a named export \`config\` and no default export: export the settings as the default, e.g. export default defineConfig({ workers: 2 })`);
  }
  let value = 'default' in mod ? mod.default : mod;
  if (typeof value === 'function') value = await (value as () => unknown)();
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CorralError(
      'CORRAL_ERR_CONFIG_FILE',
      `config file ${file} must export an object as its default export, e.g. export default defineConfig({ workers: 2 })`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * A TypeScript config file outside a `"type": "module"` package is compiled to CommonJS, so its
 * ESM exports arrive one level down: `{ default: { __esModule: true, default: {...} } }`.
 */
function unwrapCommonJs(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod.default;
  const isObject = inner !== null && (typeof inner === 'object' || typeof inner === 'function');
  return isObject && (inner as { __esModule?: unknown }).__esModule === true ? (inner as Record<string, unknown>) : mod;
}

async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  // tsImport loads TypeScript in its own scope without registering global loader hooks.
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
}
