// Reads the JavaScript stack of a blocked app thread, from the main thread, through the inspector's NodeWorker domain. Worker process, main thread.
import inspector from 'node:inspector';
import { StackCapture, type InspectorOn, type InspectorPost } from '../stack-capture.js';

type Listener = (params: Record<string, unknown>) => void;

/**
 * A session on this (main) thread's inspector reaches the app threads through `NodeWorker`: each
 * thread gets a child session, and `sendMessageToWorker` carries any inspector command to it. Its
 * `Debugger.pause` interrupts even a busy loop, so StackCapture works as it does for the main thread.
 * The session lives only while a stack is read: a thread that is never reported pays nothing.
 */
class WorkerTunnel {
  readonly #session = new inspector.Session();
  readonly #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Map<string, Listener[]>();
  #sessionId: string | undefined;
  #nextId = 1;
  #closed = false;
  #detached: () => void = () => undefined;
  /** Resolves when the thread exits (or is terminated): nothing it was asked will be answered. */
  readonly gone = new Promise<void>((resolve) => (this.#detached = resolve));

  constructor() {
    this.#session.connect();
    // What the thread sends arrives through an interrupt, in the middle of whatever JavaScript this
    // thread is running (timers being run, a stream being written): only queue a microtask there,
    // and do the work once that JavaScript is done.
    this.#session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { sessionId: string; message: string } }) => {
      if (m.params.sessionId === this.#sessionId) queueMicrotask(() => this.#receive(JSON.parse(m.params.message) as Record<string, unknown>));
    });
    // The thread exited (or was terminated): nothing it was asked will be answered.
    this.#session.on('NodeWorker.detachedFromWorker', (m: { params: { sessionId: string } }) => {
      if (m.params.sessionId !== this.#sessionId) return;
      queueMicrotask(() => {
        this.#rejectPending('the app thread exited');
        this.#detached();
      });
    });
  }

  /**
   * Attaches to the thread with this threadId. NodeWorker's `workerId` is its own counter, not the
   * threadId; the title is "[worker <threadId>]" (plus the thread's name on Node 22+). Rejects if no
   * such thread is running.
   */
  async attach(threadId: number): Promise<void> {
    const title = `[worker ${threadId}]`;
    let found: string | undefined;
    this.#session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { title: string } } }) => {
      const t = m.params.workerInfo.title;
      if (t === title || t.startsWith(`${title} `)) found ??= m.params.sessionId;
    });
    // Threads already running are reported as attached before enable answers; none waits for a debugger.
    await this.#call('NodeWorker.enable', { waitForDebuggerOnStart: false });
    if (found === undefined) throw new Error(`app thread ${threadId} is not running`);
    this.#sessionId = found;
  }

  readonly post: InspectorPost = (method, params) =>
    new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('the inspector session closed'));
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject });
      const message = JSON.stringify({ id, method, params: params ?? {} });
      this.#call('NodeWorker.sendMessageToWorker', { sessionId: this.#sessionId, message }).catch(reject);
    });

  readonly on: InspectorOn = (event, listener) => {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener);
    this.#listeners.set(event, list);
  };

  /**
   * Detaches from the thread and closes the session: only once the capture is finished with the
   * thread (or it is gone), since a pause that takes effect after this is never resumed.
   */
  close(): void {
    this.#closed = true;
    this.#rejectPending('the inspector session closed');
    this.#session.post('NodeWorker.disable', () => this.#session.disconnect());
  }

  #rejectPending(why: string): void {
    for (const { reject } of this.#pending.values()) reject(new Error(why));
    this.#pending.clear();
  }

  #receive(msg: Record<string, unknown>): void {
    if (typeof msg.id === 'number') {
      const waiter = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      const error = msg.error as { message?: string } | undefined;
      if (error) waiter?.reject(new Error(error.message ?? 'inspector error'));
      else waiter?.resolve((msg.result ?? {}) as Record<string, unknown>);
      return;
    }
    for (const listener of this.#listeners.get(String(msg.method)) ?? []) listener((msg.params ?? {}) as Record<string, unknown>);
  }

  #call(method: string, params: object): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#session.post(method, params, (err, result) => (err ? reject(err) : resolve((result ?? {}) as Record<string, unknown>)));
    });
  }
}

/**
 * How long a report waits for the stack. A read is five messages each way between two threads, each
 * needing both scheduled: milliseconds on a healthy machine, seconds on an overloaded one (2 s was
 * seen to fall short). A thread in native code never answers; its report goes out at this deadline.
 */
const READ_DEADLINE_MS = 5000;

/** Threads a stack read is still attached to (a thread is never read by two sessions at once). */
const reading = new Set<number>();

/**
 * The source-mapped `at fn (file:line:col)` frames of the thread's running code: empty when it is
 * blocked outside JavaScript. Rejects past `deadlineMs` (a thread stuck in a system call never
 * answers the inspector at all), or at once while an earlier read of the thread is still attached.
 * The session is closed only once the capture is finished with the thread — any pause it asked for
 * resumed, the debugger disabled — or the thread is gone: a thread paused after its session went
 * away stays paused for good, with nobody to resume it.
 */
export async function captureThreadStack(threadId: number, deadlineMs = READ_DEADLINE_MS): Promise<string[]> {
  if (reading.has(threadId)) throw new Error('an earlier read of its stack has not finished');
  reading.add(threadId);
  const tunnel = new WorkerTunnel();
  let finished: Promise<void> | undefined;
  let gaveUp = false;
  const read = (async (): Promise<string[]> => {
    await tunnel.attach(threadId);
    const capture = new StackCapture(tunnel.post, tunnel.on);
    // A pause not taken within 3 s: the thread is in native code (a loaded machine takes a while to answer).
    const options = { timeoutMs: 3000, finished: (done: Promise<void>) => (finished = done), abandoned: () => gaveUp };
    return (await capture.capture('0', options)).frames;
  })();
  const release = (): void => {
    tunnel.close();
    reading.delete(threadId);
  };
  // (Attaching failed, or the thread is gone: there is nothing to wait for.)
  const settle = (): Promise<void> => Promise.race([finished ?? Promise.resolve(), tunnel.gone]).then(release);
  read.then(settle, settle);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp = true;
      reject(new Error(`no answer from the thread's inspector within ${deadlineMs} ms`));
    }, deadlineMs);
  });
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
