// The worker classes under test and the corral servers the conformance suite runs them in. Test process only.
import { startCorral, type Corral } from '../helpers/corral.ts';
import { portOf, tempDir } from '../arbiter/support.ts';

export type Kind = 'async' | 'sync' | 'thread';

export interface ClassSpec {
  kind: Kind;
  /** Flags selecting the class and its size (two ways to serve at once in every class). */
  args: string[];
  /** The class's documented connection behaviour: keep-alive reuse, or close after each response. */
  reusesConnections: boolean;
}

export const CLASSES: readonly ClassSpec[] = [
  { kind: 'async', args: ['-k', 'async', '-w', '2'], reusesConnections: true },
  { kind: 'sync', args: ['-k', 'sync', '-w', '2'], reusesConnections: false },
  { kind: 'thread', args: ['-k', 'thread', '-w', '1', '--threads', '2'], reusesConnections: true },
];

export const NODE_APP = 'test/fixtures/conformance/node-app.ts';
export const FETCH_APP = 'test/fixtures/conformance/fetch-app.ts';

/** A running corral, where it listens, and the workers serving when it became ready. */
export interface Server {
  corral: Corral;
  base: string;
  port: number;
  /** The workers alive at the ready line (one that died while booting was replaced before it). */
  bootPids: number[];
  /** Where the log was at the ready line: what the workers did since is what a test may judge. */
  readyMark: number;
  stop(): Promise<void>;
}

function exitedPids(log: string): Set<number> {
  return new Set([...log.matchAll(/Worker \(pid:(\d+)\) (?:exited|was sent)/g)].map((m) => Number(m[1])));
}

export async function startServer(spec: ClassSpec, app: string, extra: string[] = []): Promise<Server> {
  const state = tempDir();
  try {
    // A generous ready deadline: the suite boots every class's servers at once, on a box that may be busy.
    const corral = await startCorral([app, ...spec.args, ...extra], { env: { CORRAL_CONFORMANCE_STATE: state.dir }, timeoutMs: 45_000 });
    const readyMark = corral.output.length;
    const exited = exitedPids(corral.output);
    return {
      corral,
      base: corral.url,
      port: portOf(corral.url),
      bootPids: corral.workerPids.filter((pid) => !exited.has(pid)),
      readyMark,
      stop: async () => {
        await corral.stop(10_000);
        state.cleanup();
      },
    };
  } catch (err) {
    state.cleanup();
    throw err;
  }
}

/** One server per class and app, started on first use and shared by that class's tests. */
export class ServerPool {
  readonly #servers = new Map<string, Promise<Server>>();

  get(spec: ClassSpec, app: string): Promise<Server> {
    const key = `${spec.kind} ${app}`;
    let server = this.#servers.get(key);
    if (!server) {
      server = startServer(spec, app);
      server.catch(() => undefined); // awaited by the tests that use it; a failure is theirs to report
      this.#servers.set(key, server);
    }
    return server;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((s) => s.then((server) => server.stop(), () => undefined)));
  }
}

/**
 * Null if the class boots, else why not. A class still being built fails to boot (exit 3) with its
 * reason in the log; the suite skips it with that reason, and lights up once it boots.
 */
export async function whyNotServing(spec: ClassSpec, pool: ServerPool): Promise<string | null> {
  try {
    await pool.get(spec, NODE_APP);
    return null;
  } catch (err) {
    const text = (err as Error).message;
    const why = /Worker failed to boot:\s*\n?(.*)/.exec(text)?.[1] ?? /\[ERROR\] (.*)/.exec(text)?.[1] ?? text.split('\n')[0];
    return `\`-k ${spec.kind}\` does not boot in this build yet (${why?.trim()})`;
  }
}
