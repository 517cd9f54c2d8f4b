// corral's public API for config files: defineConfig and the settings types. Imported by user code.
import type { Config } from './config/registry.js';

/** The settings a config file may set: every setting except the command-line-only ones, all optional. */
export type UserConfig = Partial<Omit<Config, 'config' | 'checkConfig' | 'printConfig' | 'workers' | 'env' | 'bind' | 'v8Flags'>> & {
  /** A number, or 'auto' for one worker per available core. */
  workers?: number | 'auto';
  /** `KEY=VALUE` strings, or an object of variables (strings, numbers or booleans). */
  env?: string[] | Record<string, string | number | boolean>;
  /** One address, or several. */
  bind?: string | string[];
  /** Space-separated V8 flags, or a list of them. */
  v8Flags?: string | string[];
};

/**
 * Types a config file's settings. Returns its argument unchanged.
 *
 * @example
 * // corral.config.ts
 * import { defineConfig } from 'corral';
 * export default defineConfig({ app: 'src/server.ts:app', workers: 'auto', bind: ['0.0.0.0:8000'] });
 */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

export type { Config } from './config/registry.js';
export { CorralError, ExitCode } from './errors.js';
