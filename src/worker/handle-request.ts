// Runs the app for one request, turning a throw or a rejected promise into a 500. Worker process only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';

export type AppListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Wraps the app's listener with the one generic catch of the request path. */
export function guardListener(listener: AppListener, log: Logger): AppListener {
  const fail = (err: unknown, req: IncomingMessage, res: ServerResponse) => failRequest(err, req, res, log);
  return (req, res) => {
    try {
      const result = listener(req, res);
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (err: unknown) => fail(err, req, res));
      }
    } catch (err) {
      fail(err, req, res);
    }
  };
}

/** Answers 500 (or the error's own `status`) if nothing was sent yet; otherwise cuts the response short. */
export function failRequest(err: unknown, req: IncomingMessage, res: ServerResponse, log: Logger): void {
  log.error(`Error handling request ${req.method} ${req.url}\n${describeError(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusOf(err);
  const body = status === 500 ? 'Internal Server Error\n' : `${(err as Error).message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function statusOf(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose === true
    ? status
    : 500;
}
