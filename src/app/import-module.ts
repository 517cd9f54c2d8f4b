// Imports the app's module file (JS natively, TypeScript through tsx). Runs in the worker process.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { CorralError } from '../errors.js';
import type { AppSpec } from './app-spec.js';
import { loadError } from './load-error.js';
import { isCommonJsTypeScript, needsTsx, registerTypeScript } from './typescript.js';

/** A module's exports by name; `default` is the default export (module.exports for CommonJS). */
export type ModuleExports = Record<string, unknown>;

const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];

/** Loads the file named by `spec`; every failure is a CorralError with exit code 4. */
export async function importModule(spec: AppSpec): Promise<ModuleExports> {
  checkFile(spec);
  try {
    if (needsTsx(spec.absPath)) {
      await registerTypeScript(spec.absPath);
      // On Node 20, import() of a CommonJS-scoped .ts bypasses tsx's CJS transform when
      // detecting named exports (they all come back missing); require() sees them all.
      if (isCommonJsTypeScript(spec.absPath)) return requireModule(spec.absPath);
    }
    return (await import(pathToFileURL(spec.absPath).href)) as ModuleExports;
  } catch (err) {
    throw loadError(spec, err);
  }
}

function checkFile(spec: AppSpec): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec.absPath);
  } catch {
    // `path:factory(args)`: Gunicorn takes arguments there; corral does not, and would read it all as a path.
    const withArgs = /^(.*):([A-Za-z_$][\w$]*)\((.+)\)$/.exec(spec.file);
    if (withArgs && fs.existsSync(path.resolve(spec.cwd, withArgs[1]!))) {
      throw new CorralError(
        'CORRAL_ERR_APP_NOT_FOUND',
        `APP_MODULE "${spec.file}" passes arguments to ${withArgs[2]}(): corral calls a factory with none. ` +
          `Write ${withArgs[1]}:${withArgs[2]}() and let the factory read its settings (e.g. from process.env).`,
      );
    }
    throw new CorralError(
      'CORRAL_ERR_APP_NOT_FOUND',
      `App module not found: ${spec.absPath} (from "${spec.file}"). ` +
        'APP_MODULE is a file path relative to the working directory, e.g. src/server.ts or src/server.ts:app.',
    );
  }
  if (!stat.isFile()) {
    throw new CorralError(
      'CORRAL_ERR_APP_NOT_FOUND',
      `App module is not a file: ${spec.absPath}. Name the file itself, e.g. ${path.join(spec.file, 'index.ts')}.`,
    );
  }
  if (!EXTENSIONS.includes(path.extname(spec.absPath))) {
    throw new CorralError(
      'CORRAL_ERR_APP_LOAD',
      `Cannot load ${spec.file}: corral loads ${EXTENSIONS.join(' ')} files, not "${path.extname(spec.absPath) || 'no extension'}".`,
    );
  }
}

/** CommonJS interop as Node's import() does it: module.exports is the default export. */
function requireModule(absPath: string): ModuleExports {
  const exported: unknown = createRequire(absPath)(absPath);
  if (exported === null || (typeof exported !== 'object' && typeof exported !== 'function')) {
    return { default: exported };
  }
  if ((exported as { __esModule?: unknown }).__esModule === true) return { ...(exported as ModuleExports) };
  return { default: exported, ...(exported as ModuleExports) };
}
