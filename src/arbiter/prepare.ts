// What the master does between reading the config and starting the arbiter: chdir, env, title, preload. Master only.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/registry.js';
import { invalid } from '../config/values.js';
import { CorralError, ExitCode } from '../errors.js';
import { describeError, type Logger } from '../log/logger.js';
import { checkBindable } from './listeners.js';

/**
 * Applies --chdir, --env and --name, then loads the app here when asked to (--preload, --check-config).
 * Resolves with the exit code --check-config reports.
 */
export async function prepareMaster(config: Config, log: Logger): Promise<number> {
  if (config.chdir) {
    const dir = path.resolve(config.chdir);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw invalid('chdir', config.chdir, 'an existing directory');
    }
    process.chdir(dir);
  }
  for (const pair of config.env) {
    const eq = pair.indexOf('=');
    process.env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  process.title = `corral: master${config.name ? ` [${config.name}]` : ''}`;
  if (!config.preload && !config.checkConfig) return ExitCode.OK;
  if (config.checkConfig) {
    // Binding is for the server to do, but what can fail without it should fail here.
    try {
      await checkBindable(config.bind);
    } catch (err) {
      process.stderr.write(`Error: ${describeError(err)}\n`);
      return ExitCode.ERROR;
    }
  }
  try {
    // Loaded only here: the master never needs the app-loading code otherwise.
    const { loadApp } = await import('../app/load-app.js');
    // The app may end the process itself while it loads (a script's own process.exit): say so.
    // Even with code 0: --check-config must not pass, nor --preload look like a clean stop.
    const ended = (code: number) => {
      process.stderr.write(`Error: ${config.app!} ended the process (exit code ${code}) while loading, in the master (${config.checkConfig ? '--check-config' : '--preload'})\n`);
      process.exitCode = config.checkConfig ? ExitCode.ERROR : ExitCode.WORKER_BOOT_ERROR;
    };
    process.once('exit', ended);
    const app = await unlessStalled(loadApp(config.app!, { cwd: process.cwd() }), config.app!).finally(() => process.off('exit', ended));
    if (config.checkConfig) process.stdout.write(`Configuration OK; app: ${app.description}\n`);
    else log.info(`Preloaded ${app.description}`);
    // The master never serves: release what the app holds (a Fastify instance, its plugins).
    await app.close?.().catch((err: unknown) => log.warning(`Closing the preloaded app failed: ${describeError(err)}`));
    return ExitCode.OK;
  } catch (err) {
    if (!config.checkConfig) throw err;
    process.stderr.write(`Error: ${describeError(err)}\n`);
    return ExitCode.ERROR;
  }
}

/**
 * Rejects if the event loop runs out of work while `loading` is still pending: the app's module
 * awaits, at its top level, a promise that nothing is left to settle. Without this the master
 * would end with exit 0 and no word (a dynamic import() that never settles does not keep Node
 * alive), and `--check-config` would report success for an app that never loads. (A worker is
 * kept alive by its IPC channel instead; the master's --boot-timeout catches it there.)
 */
function unlessStalled<T>(loading: Promise<T>, app: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stalled = () => reject(new CorralError('CORRAL_ERR_APP_LOAD',
      `loading ${app} never finished: the module (or one it imports) awaits, at its top level, a promise ` +
      'that nothing is left to settle (nothing else is pending in the process)'));
    process.once('beforeExit', stalled);
    loading.then(resolve, reject).finally(() => process.off('beforeExit', stalled));
  });
}
