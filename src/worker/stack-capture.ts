// Pauses a stuck JavaScript thread through the inspector and reads its stack, source-mapped. Runs in the watchdog thread.
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Sends one inspector command and resolves with its result. */
export type InspectorPost = (method: string, params?: object) => Promise<Record<string, unknown>>;
/** Subscribes to one inspector event. */
export type InspectorOn = (event: string, listener: (params: Record<string, unknown>) => void) => void;

interface CallFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

interface Script {
  url: string;
  sourceMapURL?: string;
  map?: SourceMap | null;
}

export interface CapturedStack {
  /** `at fn (file:line:col)` lines, or empty when the thread was not running JavaScript. */
  frames: string[];
  /** What the expression evaluated in the paused thread returned (the requests in flight). */
  evaluated: string | undefined;
}

export interface CaptureOptions {
  /** How long the pause may take to take effect (default 1000 ms). */
  timeoutMs?: number;
  /**
   * Given: when the pause does not take effect in time, the debugger stays enabled until it does
   * (asked for on a disabled debugger, it could take effect later with no session to resume the
   * thread, which then stays paused for good), and `finished` gets a promise that resolves once the
   * thread is resumed and the debugger disabled. Not given: the debugger is disabled at once, which
   * cancels the pause when this is the only session on the thread (the worker's watchdog).
   */
  finished?: (done: Promise<void>) => void;
  /** Whether whoever asked has stopped waiting: then the thread is not paused, or resumed at once. */
  abandoned?: () => boolean;
}

/**
 * Knows the scripts of one thread (from `Debugger.scriptParsed`) and captures its stack on demand.
 * The debugger is enabled only while capturing, so a healthy thread pays nothing for it.
 */
export class StackCapture {
  readonly #post: InspectorPost;
  readonly #scripts = new Map<string, Script>();
  #waiting: ((frames: CallFrame[]) => void) | null = null;
  /** Set while a pause given up on may still take effect: called once it did and was resumed. */
  #late: (() => void) | null = null;

  constructor(post: InspectorPost, on: InspectorOn) {
    this.#post = post;
    on('Debugger.scriptParsed', (p) => {
      this.#scripts.set(String(p.scriptId), { url: String(p.url ?? ''), sourceMapURL: p.sourceMapURL as string | undefined });
    });
    on('Debugger.paused', (p) => {
      const waiting = this.#waiting;
      this.#waiting = null;
      if (waiting) return waiting(p.callFrames as CallFrame[]);
      // A pause given up on took effect after all: let the thread go on.
      const late = this.#late;
      this.#late = null;
      void this.#post('Debugger.resume').catch(() => undefined).finally(() => late?.());
    });
  }

  /**
   * Pauses the thread, reads its stack and evaluates `expression` in it, then resumes it. When the
   * pause does not take effect within `timeoutMs` (the thread is in native code or a system call),
   * the result says no JavaScript was running. See CaptureOptions for `finished` and `abandoned`.
   */
  async capture(expression: string, opts: CaptureOptions = {}): Promise<CapturedStack> {
    const { timeoutMs = 1000, finished, abandoned = () => false } = opts;
    await this.#post('Debugger.enable');
    let late = false;
    try {
      // Nobody waits for the answer any more: do not stop the thread for it.
      if (abandoned()) return { frames: [], evaluated: undefined };
      const frames = await this.#pause(timeoutMs);
      if (!frames) {
        if (finished) {
          late = true;
          const done = new Promise<void>((resolve) => (this.#late = resolve));
          finished(done.then(() => this.#disable()));
        }
        return { frames: [], evaluated: undefined };
      }
      const evaluated = abandoned() ? undefined : await this.#evaluate(frames[0]!, expression);
      await this.#post('Debugger.resume');
      return { frames: abandoned() ? [] : frames.map((f) => this.#format(f)), evaluated };
    } finally {
      if (!late) {
        const disabled = this.#disable();
        finished?.(disabled);
        await disabled;
      }
    }
  }

  #disable(): Promise<void> {
    return this.#post('Debugger.disable').then(
      () => undefined,
      () => undefined,
    );
  }

  #pause(timeoutMs: number): Promise<CallFrame[] | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = null;
        resolve(null); // blocked outside JavaScript: a native call or a synchronous system call
      }, timeoutMs);
      this.#waiting = (frames) => {
        clearTimeout(timer);
        resolve(frames);
      };
      this.#post('Debugger.pause').catch(() => undefined);
    });
  }

  async #evaluate(frame: CallFrame, expression: string): Promise<string | undefined> {
    try {
      const r = await this.#post('Debugger.evaluateOnCallFrame', {
        callFrameId: frame.callFrameId,
        expression,
        returnByValue: true,
        silent: true,
      });
      const value = (r.result as { value?: unknown } | undefined)?.value;
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  #format(f: CallFrame): string {
    const script = this.#scripts.get(f.location.scriptId);
    let file = script?.url ?? '';
    let line = f.location.lineNumber;
    let col = f.location.columnNumber;
    const map = script ? this.#sourceMap(script) : null;
    const entry = map?.findEntry(line, col) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry && entry.originalSource !== undefined && entry.originalLine !== undefined) {
      file = new URL(entry.originalSource, file || 'file:///').href;
      [line, col] = [entry.originalLine, entry.originalColumn ?? 0];
    }
    const where = `${displayPath(file) || '<anonymous>'}:${line + 1}:${col + 1}`;
    return f.functionName ? `at ${f.functionName} (${where})` : `at ${where}`;
  }

  #sourceMap(script: Script): SourceMap | null {
    if (script.map !== undefined) return script.map;
    script.map = null;
    const url = script.sourceMapURL;
    const m = url ? /^data:application\/json[^,]*?(;base64)?,(.*)$/s.exec(url) : null;
    if (m) {
      try {
        const text = m[1] ? Buffer.from(m[2]!, 'base64').toString('utf8') : decodeURIComponent(m[2]!);
        script.map = new SourceMap(JSON.parse(text) as SourceMapPayload);
      } catch {
        script.map = null;
      }
    }
    return script.map;
  }
}

function displayPath(url: string): string {
  if (!url.startsWith('file:')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
