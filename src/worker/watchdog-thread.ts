// The watchdog: a thread inside each worker process that notices a blocked event loop and logs its stack. Watchdog thread only.
import inspector from 'node:inspector';
import { workerData } from 'node:worker_threads';
import fs from 'node:fs';
import { WATCHDOG_FD_ENV } from '../ipc/messages.js';
import { Logger } from '../log/logger.js';
import { StackCapture, type CapturedStack } from './stack-capture.js';
import { INFLIGHT_EXPRESSION, shortestThresholdMs, type WatchdogData, type InflightRequest } from './watchdog.js';

const data = workerData as WatchdogData;
const beat = new Float64Array(data.beat);
const log = new Logger({ ...data.log, direct: true });

/**
 * A fresh inspector session per report: nothing stays attached to the main thread between reports
 * (Node would otherwise wait for the "debugger" at exit), and disconnecting cancels a pause that
 * never took effect (a thread blocked outside JavaScript).
 */
async function captureMainThread(): Promise<CapturedStack> {
  const session = new inspector.Session();
  session.connectToMainThread();
  // The main thread answers the inspector only when it runs JavaScript (an interrupt): blocked in
  // native code (a huge JSON.parse, execSync) it never even enables the debugger. Give up then, and
  // report that; disconnecting drops what was asked.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CapturedStack>((resolve) => {
    timer = setTimeout(() => resolve({ frames: [], evaluated: undefined }), CAPTURE_DEADLINE_MS);
  });
  try {
    const capture = new StackCapture(
      (method, params) =>
        new Promise((resolve, reject) =>
          session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve((result ?? {}) as Record<string, unknown>))),
        ),
      (event, listener) => session.on(event, (m: { params: Record<string, unknown> }) => listener(m.params)),
    );
    const captured = capture.capture(INFLIGHT_EXPRESSION);
    captured.catch(() => undefined); // it fails once the session is gone, after the deadline
    return await Promise.race([captured, deadline]);
  } finally {
    clearTimeout(timer);
    session.disconnect();
  }
}

/** How long a report waits for the stack (the pause itself allows 1 s of it): the master gives a stuck worker's report about 1 s. */
const CAPTURE_DEADLINE_MS = 1200;

type Level = 'none' | 'warning' | 'error';
let reached: Level = 'none';

/** How often a stale stamp is read: once per stamp (at least every 20 ms). */
const POLL_MS = Math.max(20, data.beatMs);

/** A stamp this old is stale: the main thread has missed three stamps in a row. */
const STALE_MS = data.beatMs * 3;

/** While the main thread is blocked, the master's death is noticed this soon (a worker must not outlive it by 2 s). */
const MASTER_CHECK_MS = 1000;

/**
 * How long after a stamp the first thing can be due: the warning, the error or the master check.
 * Never less than STALE_MS (the stamp period is at most a quarter of either threshold).
 */
const FIRST_DUE_MS = Math.min(MASTER_CHECK_MS, shortestThresholdMs(data.warnAfterMs, data.errorAfterMs));

/**
 * The watchdog sleeps in Atomics.wait() between reads instead of on a timer: a read then costs a
 * futex wake-up and a few lines of JavaScript, not a turn of this thread's event loop. And it
 * sleeps until something could first be due after the latest stamp (the warning, by default a
 * second after it), so a healthy worker's watchdog wakes about once a second; once the stamp is
 * stale it reads it every stamp. Its wake-ups are what the watchdog
 * costs a busy worker (`npm run bench -- cost`, see docs/architecture.md). The loop gives the
 * event loop back only to write a report (the inspector session's replies arrive there);
 * termination (the worker exiting) interrupts the wait.
 */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function watch(): void {
  for (;;) {
    Atomics.wait(sleeper, 0, 0, Math.max(POLL_MS, beat[0]! + FIRST_DUE_MS - Date.now()));
    const level = check();
    if (level !== null) return report(level.level, level.blockedMs);
  }
}

/** Reads the stamp; what to report, if anything. */
function check(): { level: 'warning' | 'error'; blockedMs: number } | null {
  const blockedMs = Date.now() - beat[0]!;
  if (blockedMs < STALE_MS) {
    reached = 'none';
    return null;
  }
  checkMaster();
  if (data.errorAfterMs > 0 && blockedMs >= data.errorAfterMs && reached !== 'error') return { level: 'error', blockedMs };
  if (data.warnAfterMs > 0 && blockedMs >= data.warnAfterMs && reached === 'none') return { level: 'warning', blockedMs };
  return null;
}

/**
 * The master is gone (even SIGKILLed) and the main thread, blocked, cannot notice: a worker must
 * never outlive its master holding the listening sockets. A healthy main thread exits by itself.
 */
function checkMaster(): void {
  if (process.ppid !== data.masterPid) process.kill(process.pid, 'SIGKILL');
}

function report(level: 'warning' | 'error', blockedMs: number): void {
  reached = level;
  // The master is still watched for while the report is written.
  const master = setInterval(checkMaster, POLL_MS);
  captureMainThread()
    .then(({ frames, evaluated }) => log.log(level, describe(level, blockedMs, frames, evaluated)))
    .catch((err: Error) => log.log(level, `${headline(level, blockedMs)}; its stack could not be read: ${err.message}`))
    .finally(() => {
      clearInterval(master);
      if (level === 'error') tellMaster();
      setImmediate(watch);
    });
}

watch();

/** One line on the watchdog pipe: the master may now kill the stuck worker. */
function tellMaster(): void {
  const fd = Number(process.env[WATCHDOG_FD_ENV]);
  if (!Number.isInteger(fd) || fd < 3) return;
  try {
    fs.writeSync(fd, 'reported\n');
  } catch {
    // the master is gone or not listening: nothing waits for this
  }
}

function headline(level: 'warning' | 'error', blockedMs: number): string {
  const s = (blockedMs / 1000).toFixed(1);
  return level === 'error'
    ? `Worker (pid:${process.pid}) event loop blocked for ${s} s; it will be killed at --timeout ${data.timeout} s`
    : `Worker (pid:${process.pid}) event loop blocked for ${s} s (--blocked-warning ${data.warnAfterMs / 1000} s)`;
}

function describe(level: 'warning' | 'error', blockedMs: number, frames: string[], evaluated: string | undefined): string {
  const lines = [headline(level, blockedMs)];
  if (frames.length > 0) lines.push('  JavaScript stack of the blocked code:', ...frames.slice(0, 30).map((f) => `    ${f}`));
  else lines.push('  No JavaScript was running: the thread is blocked in native code or a synchronous system call.');
  if (evaluated === undefined && frames.length === 0) {
    // The list is read inside the blocked thread, which did not run JavaScript to answer.
    lines.push('  The requests in flight could not be read (they are read by the blocked thread itself).');
    return lines.join('\n');
  }
  let requests: InflightRequest[] = [];
  try {
    requests = evaluated ? (JSON.parse(evaluated) as InflightRequest[]) : [];
  } catch {
    // leave the list empty
  }
  if (requests.length === 0) lines.push('  No request in flight on this worker.');
  else {
    lines.push('  Requests in flight on this worker:');
    for (const r of requests.slice(0, 20)) lines.push(`    ${r.method} ${r.url} (${(r.ageMs / 1000).toFixed(1)} s)`);
  }
  return lines.join('\n');
}
