// Shared helpers for the thread-class tests: fixture paths and the corral arguments they run with. Test process only.
import path from 'node:path';
import { FIXTURES, ROOT } from '../helpers/corral.ts';

/** The thread fixture app (blocking, throwing, crashing, large bodies), relative to the repository root. */
export const THREAD_APP = path.relative(ROOT, path.join(FIXTURES, 'thread', 'app.ts'));
export const FETCH_APP = path.relative(ROOT, path.join(FIXTURES, 'thread', 'fetch-app.ts'));

/** One worker with `threads` app threads. */
export function threadArgs(app: string, threads = 2, ...more: string[]): string[] {
  return [app, '-k', 'thread', '-w', '1', '--threads', String(threads), ...more];
}

/** Where a thread fixture says it ran. */
export interface Who {
  pid: number;
  threadId: number;
}
