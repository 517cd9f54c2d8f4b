// Shared helpers for the app-loading tests: fixture paths and HTTP clients with deadlines. Test process only.
import http from 'node:http';
import path from 'node:path';
import { FIXTURES, ROOT } from '../helpers/corral.ts';

/** A fixture app's path relative to the repo root, as a user would type it. */
export function appFixture(name: string): string {
  return path.relative(ROOT, path.join(FIXTURES, 'apps', name));
}

/** fetch with a deadline, so a hung server fails the test instead of hanging it. */
export function get(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

export interface RawResponse {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request through node:http, for what fetch hides (status messages, HEAD, exact headers). */
export function request(url: string, options: http.RequestOptions = {}, body?: string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, headers: res.headers, body: text }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
