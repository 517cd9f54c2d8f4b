// Turns on TypeScript loading (tsx) for the app's module graph. Runs in the worker process.
import fs from 'node:fs';
import path from 'node:path';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx', '.jsx']);

/** True for files that need tsx: TypeScript, and JSX. */
export function needsTsx(file: string): boolean {
  return TS_EXTENSIONS.has(path.extname(file));
}

let registered: Promise<void> | undefined;

/**
 * Registers tsx's ESM and CommonJS hooks once, for the whole process: the app may import
 * more TypeScript at any time. Only TypeScript apps register them: doing so costs each worker
 * ~190 ms on Node 20 (tsx's hooks run on a loader thread) and ~55 ms on Node 24, so plain
 * .js/.mjs/.cjs apps skip it (and cannot import .ts files). The tsconfig is the one nearest
 * the app file, so an app folder's own `experimentalDecorators` and `paths` apply whatever
 * the cwd; TSX_TSCONFIG_PATH, when set, wins as it does for tsx itself.
 */
export function registerTypeScript(appFile: string): Promise<void> {
  registered ??= register(process.env.TSX_TSCONFIG_PATH ?? findUp(path.dirname(appFile), 'tsconfig.json'));
  return registered;
}

async function register(tsconfig: string | undefined): Promise<void> {
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register(tsconfig === undefined ? {} : { tsconfig });
  // tsx's CommonJS register() takes no tsconfig option; it reads this variable synchronously.
  const saved = process.env.TSX_TSCONFIG_PATH;
  if (tsconfig !== undefined) process.env.TSX_TSCONFIG_PATH = tsconfig;
  try {
    cjs.register();
  } finally {
    if (saved === undefined) delete process.env.TSX_TSCONFIG_PATH;
    else process.env.TSX_TSCONFIG_PATH = saved;
  }
}

/**
 * Whether Node treats this TypeScript file as CommonJS: `.cts`, or `.ts`/`.tsx` under a
 * package.json without `"type": "module"`.
 */
export function isCommonJsTypeScript(file: string): boolean {
  const ext = path.extname(file);
  if (ext === '.cts') return true;
  if (ext === '.mts') return false;
  const pkg = findUp(path.dirname(file), 'package.json');
  if (pkg === undefined) return true;
  try {
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { type?: unknown }).type !== 'module';
  } catch {
    return true; // Node reports the broken package.json when it loads the file
  }
}

function findUp(dir: string, name: string): string | undefined {
  for (;;) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
