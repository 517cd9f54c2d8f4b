// CorralError, its codes, and the process exit codes. Shared by every process.

/** Exit codes with a meaning for the master; it halts instead of respawning on these. */
export const ExitCode = {
  OK: 0,
  /** A generic failure: bad configuration, an address in use, an unexpected crash. */
  ERROR: 1,
  /** A worker failed to boot (Gunicorn's WORKER_BOOT_ERROR). */
  WORKER_BOOT_ERROR: 3,
  /** The app failed to load (Gunicorn's APP_LOAD_ERROR). */
  APP_LOAD_ERROR: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every error code corral raises, with the exit code a process ends with when it is fatal. */
export const ErrorCodes = {
  CORRAL_ERR_CONFIG_UNKNOWN_KEY: ExitCode.ERROR,
  CORRAL_ERR_CONFIG_INVALID_VALUE: ExitCode.ERROR,
  CORRAL_ERR_CONFIG_FILE: ExitCode.ERROR,
  CORRAL_ERR_CLI_USAGE: ExitCode.ERROR,
  CORRAL_ERR_BIND: ExitCode.ERROR,
  CORRAL_ERR_PIDFILE: ExitCode.ERROR,
  CORRAL_ERR_APP_NOT_FOUND: ExitCode.APP_LOAD_ERROR,
  CORRAL_ERR_APP_LOAD: ExitCode.APP_LOAD_ERROR,
  CORRAL_ERR_APP_NOT_SERVABLE: ExitCode.APP_LOAD_ERROR,
  CORRAL_ERR_APP_FACTORY: ExitCode.APP_LOAD_ERROR,
  CORRAL_ERR_WORKER_BOOT: ExitCode.WORKER_BOOT_ERROR,
  CORRAL_ERR_HANDLER: ExitCode.ERROR,
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

export interface CorralErrorOptions {
  /** HTTP status for errors a client sees. */
  status?: number;
  cause?: unknown;
}

/**
 * The one error type corral throws. Match on `code`, never on the message.
 *
 * @example
 * throw new CorralError('CORRAL_ERR_BIND', 'address already in use: 127.0.0.1:8000');
 */
export class CorralError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options: CorralErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CorralError';
    this.code = code;
    this.status = options.status;
  }

  /** The exit code a process ends with when this error is fatal. */
  get exitCode(): ExitCode {
    return ErrorCodes[this.code];
  }
}

/** The exit code for any error: a CorralError's own, otherwise 1. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof CorralError ? err.exitCode : ExitCode.ERROR;
}
