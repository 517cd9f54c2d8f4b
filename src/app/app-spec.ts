// Parses an APP_MODULE string (`path[:name]` or `path:factory()`). Runs in the worker process.
import path from 'node:path';

/** An APP_MODULE split into the file to load and the export to take from it. */
export interface AppSpec {
  /** The path as the user wrote it, for messages. */
  file: string;
  /** The absolute path of the file. */
  absPath: string;
  /** The directory the path is relative to. */
  cwd: string;
  /** The export to use; undefined means "default if servable, else `app`". */
  exportName: string | undefined;
  /** True for `path:name()`: call the export with no arguments and serve what it returns. */
  isFactory: boolean;
}

const EXPORT_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Splits on the last `:` so a path may itself contain one; a part after it that is not an
 * identifier (or `identifier()`) is treated as part of the path (e.g. `C:\app.js`).
 *
 * @example
 * parseAppSpec('src/server.ts:createApp()', '/srv') // { file: 'src/server.ts', exportName: 'createApp', isFactory: true, ... }
 */
export function parseAppSpec(spec: string, cwd: string): AppSpec {
  let file = spec;
  let exportName: string | undefined;
  let isFactory = false;
  const colon = spec.lastIndexOf(':');
  if (colon > 0) {
    let name = spec.slice(colon + 1);
    const called = name.endsWith('()');
    if (called) name = name.slice(0, -2);
    if (EXPORT_NAME.test(name)) {
      file = spec.slice(0, colon);
      exportName = name;
      isFactory = called;
    }
  }
  return { file, absPath: path.resolve(cwd, file), cwd, exportName, isFactory };
}
