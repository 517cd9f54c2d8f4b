#!/usr/bin/env node
// The corral command: argv -> Config -> Arbiter. Runs in the master process.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config/load-config.js';
import { helpText, printConfigText } from './config/describe.js';
import { Arbiter } from './arbiter/arbiter.js';
import { prepareMaster } from './arbiter/prepare.js';
import { CorralError, ExitCode, exitCodeOf } from './errors.js';
import { invalid } from './config/values.js';
import { describeError, Logger } from './log/logger.js';

const VERSION = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The master's log, once it is open: a fatal error goes there too. */
let log: Logger | null = null;

async function main(argv: string[]): Promise<number> {
  const resolved = await loadConfig(argv, process.env, process.cwd());
  if (resolved.help) return print(helpText(VERSION));
  if (resolved.version) return print(`corral ${VERSION}`);
  if (resolved.config.printConfig) return print(printConfigText(resolved));
  const { config } = resolved;
  if (!config.app) {
    throw new CorralError('CORRAL_ERR_CLI_USAGE', 'no APP_MODULE given: pass it as an argument (corral app.ts) or set `app` in the config file');
  }
  // Relative paths are taken from --chdir; the master opens its log before it changes directory.
  if (config.errorLogfile !== '-') config.errorLogfile = path.resolve(config.chdir ?? '.', config.errorLogfile);
  try {
    log = new Logger({ level: config.logLevel, file: config.errorLogfile });
  } catch (err) {
    throw invalid('--error-logfile', config.errorLogfile, `a file corral can append to (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  for (const notice of resolved.notices) log.info(notice);
  for (const warning of resolved.warnings) log.warning(warning);
  const prepared = await prepareMaster(config, log);
  if (config.checkConfig) return prepared;
  return new Arbiter(config, log, VERSION).run();
}

function print(text: string): number {
  process.stdout.write(text + '\n');
  return ExitCode.OK;
}

// process.exit, not exitCode: a preloaded or checked app may hold timers or sockets that would
// keep the master alive after it is done. Output is written synchronously (files, pipes on Linux).
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A broken app's message carries its stack; a configuration message is complete as it is.
    const text = err instanceof CorralError && err.exitCode !== ExitCode.APP_LOAD_ERROR ? err.message : describeError(err);
    process.stderr.write(/^\w*Error\b/.test(text) ? `${text}\n` : `Error: ${text}\n`);
    // Gunicorn logs a fatal error to its error log too, where whoever runs the server looks.
    if (log && log.file !== '-') log.critical(text);
    process.exit(exitCodeOf(err));
  },
);
