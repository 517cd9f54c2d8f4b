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

/**
 * Knows the scripts of one thread (from `Debugger.scriptParsed`) and captures its stack on demand.
 * The debugger is enabled only while capturing, so a healthy thread pays nothing for it.
 */
export class StackCapture {
  readonly #post: InspectorPost;
  readonly #scripts = new Map<string, Script>();
  #waiting: ((frames: CallFrame[]) => void) | null = null;

  constructor(post: InspectorPost, on: InspectorOn) {
    this.#post = post;
    on('Debugger.scriptParsed', (p) => {
      this.#scripts.set(String(p.scriptId), { url: String(p.url ?? ''), sourceMapURL: p.sourceMapURL as string | undefined });
    });
    on('Debugger.paused', (p) => {
      const waiting = this.#waiting;
      this.#waiting = null;
      if (waiting) waiting(p.callFrames as CallFrame[]);
      else void this.#post('Debugger.resume').catch(() => undefined); // a pause given up on
    });
  }

  /** Pauses the thread, reads its stack and evaluates `expression` in it, then resumes it. */
  async capture(expression: string, timeoutMs = 1000): Promise<CapturedStack> {
    await this.#post('Debugger.enable');
    try {
      const frames = await this.#pause(timeoutMs);
      if (!frames) return { frames: [], evaluated: undefined };
      const evaluated = await this.#evaluate(frames[0]!, expression);
      await this.#post('Debugger.resume');
      return { frames: frames.map((f) => this.#format(f)), evaluated };
    } finally {
      await this.#post('Debugger.disable').catch(() => undefined);
    }
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
