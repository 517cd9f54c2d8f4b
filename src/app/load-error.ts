// Turns an error thrown while importing the app into a CorralError naming the file and line. Runs in the worker process.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralError } from '../errors.js';
import type { AppSpec } from './app-spec.js';

interface Location {
  file: string;
  line: number;
  column?: number;
  /** True when the source failed to parse, as opposed to code that ran and threw. */
  isParseError: boolean;
  /** The error text without the location, when the location was embedded in it. */
  detail?: string;
}

/** corral's own compiled files, which never count as the place an app failed. */
const OWN_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url))) + path.sep;

/** The CORRAL_ERR_APP_LOAD error for a syntax error or an exception thrown at import time. */
export function loadError(spec: AppSpec, err: unknown): CorralError {
  if (err instanceof CorralError) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  const where = esbuildLocation(error) ?? stackLocation(error, spec.absPath) ?? checkSyntax(error, spec.absPath);
  const at = where === undefined ? '' : ` at ${formatLocation(where, spec.cwd)}`;
  const what = where?.isParseError === true ? 'has a syntax error' : 'threw while loading';
  const name = where?.isParseError === true ? 'SyntaxError' : error.name;
  return new CorralError(
    'CORRAL_ERR_APP_LOAD',
    `App module ${spec.file} ${what}${at}: ${name}: ${where?.detail ?? error.message}. Fix it, then start corral again (or send HUP to a running one).`,
    { cause: err },
  );
}

/**
 * Where a module (the app, a config file) failed to load, as "file:line[:column]" and what failed
 * there ("SyntaxError: ..."), or undefined when no location can be found.
 */
export function describeLoadFailure(err: unknown, absPath: string, cwd: string): { at: string; what: string; isParseError: boolean } | undefined {
  const error = err instanceof Error ? err : new Error(String(err));
  const where = esbuildLocation(error) ?? stackLocation(error, absPath) ?? checkSyntax(error, absPath);
  if (where === undefined) return undefined;
  const name = where.isParseError ? 'SyntaxError' : error.name;
  return { at: formatLocation(where, cwd), what: `${name}: ${where.detail ?? error.message}`, isParseError: where.isParseError };
}

/** The CORRAL_ERR_APP_FACTORY error for a factory (`path:createApp()`) that threw or rejected. */
export function factoryError(spec: AppSpec, err: unknown): CorralError {
  const error = err instanceof Error ? err : new Error(String(err));
  const where = stackLocation(error, spec.absPath);
  const at = where === undefined ? '' : ` at ${formatLocation(where, spec.cwd)}`;
  return new CorralError(
    'CORRAL_ERR_APP_FACTORY',
    `App factory ${spec.exportName}() in ${spec.file} threw${at}: ${error.name}: ${error.message}. Fix the factory and start corral again.`,
    { cause: err },
  );
}

function formatLocation(where: Location, cwd: string): string {
  const rel = path.relative(cwd, where.file);
  const file = rel.startsWith('..') || path.isAbsolute(rel) ? where.file : rel;
  return `${file}:${where.line}${where.column === undefined ? '' : `:${where.column}`}`;
}

/** tsx surfaces esbuild's TransformError: "Transform failed with 1 error:\n/abs/app.ts:3:7: ERROR: ...". */
function esbuildLocation(error: Error): Location | undefined {
  if (!error.message.startsWith('Transform failed')) return undefined;
  const m = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(error.message);
  if (m === null) return undefined;
  // esbuild's columns count from 0; editors and V8 count from 1.
  return { file: m[1]!, line: Number(m[2]), column: Number(m[3]) + 1, isParseError: true, detail: m[4]! };
}

/** "at fn (/abs/file.js:3:7)", "at /abs/file.js:3:7", or a CommonJS SyntaxError's "/abs/file.js:3" header. */
const FRAME = /^(at .*?\(|at )?((?:file:\/\/)?\/[^\s()]+?):(\d+)(?::(\d+))?\)?$/;

/**
 * The first stack frame in the app file, else the first in a file that is neither Node's,
 * corral's nor in node_modules (a helper the app imports).
 */
function stackLocation(error: Error, appFile: string): Location | undefined {
  const frames: Location[] = [];
  for (const line of (error.stack ?? '').split('\n')) {
    const m = FRAME.exec(line.trim());
    if (m === null) continue;
    const file = m[2]!.startsWith('file://') ? fileURLToPath(m[2]!) : m[2]!;
    const column = m[4] === undefined ? {} : { column: Number(m[4]) };
    frames.push({ file, line: Number(m[3]), ...column, isParseError: m[1] === undefined && error instanceof SyntaxError });
  }
  return (
    frames.find((f) => f.file === appFile) ??
    frames.find((f) => !f.file.startsWith(OWN_DIR) && !f.file.includes(`${path.sep}node_modules${path.sep}`))
  );
}

/**
 * V8 gives an ES module's SyntaxError no location in its stack (Node prints one only for an
 * uncaught error), so ask `node --check`, which parses the file without running it.
 */
function checkSyntax(error: Error, appFile: string): Location | undefined {
  if (!(error instanceof SyntaxError)) return undefined;
  const result = spawnSync(process.execPath, ['--check', appFile], { encoding: 'utf8', timeout: 10_000 });
  const m = /^(.+):(\d+)$/m.exec(result.stderr ?? '');
  if (result.status === 0 || m === null) return undefined;
  return { file: m[1]!, line: Number(m[2]), isParseError: true };
}
