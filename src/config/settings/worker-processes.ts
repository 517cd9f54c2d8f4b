// Settings of the "Worker Processes" section. Declarations only; read by every process.
import os from 'node:os';
import { setting } from '../types.js';
import { BadValue, invalid, parseBool, parseEnum, parseInt_, parseSeconds } from '../values.js';

export const WORKER_CLASSES = ['async', 'sync', 'thread'] as const;
export type WorkerClass = (typeof WORKER_CLASSES)[number];

/** Gunicorn's worker class names, and the corral class that plays each one's part. */
export const WORKER_CLASS_ALIASES: Readonly<Record<string, WorkerClass>> = {
  gevent: 'async',
  eventlet: 'async',
  tornado: 'async',
  gaiohttp: 'async',
  asgi: 'async',
  gthread: 'thread',
};

export const workers = setting<number>({
  name: 'workers',
  section: 'Worker Processes',
  flags: ['-w', '--workers'],
  kind: 'int',
  metavar: 'INT|auto',
  default: (env) => {
    const wc = env.WEB_CONCURRENCY;
    if (wc === undefined || wc.trim() === '') return { value: 1 };
    // Given but not a count is an error naming it, not a silent fallback to 1.
    if (!/^\d+$/.test(wc.trim()) || Number(wc) < 1 || Number(wc) > 1024) throw invalid('WEB_CONCURRENCY', wc, 'an integer from 1 to 1024');
    return { value: Number(wc), detail: '$WEB_CONCURRENCY' };
  },
  defaultDoc: '`$WEB_CONCURRENCY`, or `1`',
  parse: (raw) => {
    if (typeof raw === 'string' && raw.trim().toLowerCase() === 'auto') return os.availableParallelism();
    try {
      return parseInt_(raw, 1, 1024);
    } catch {
      throw new BadValue('an integer from 1 to 1024, or "auto" (one per available core)');
    }
  },
  help: 'The number of worker processes, or "auto" for one per available core.',
  doc: [
    'How many worker processes serve requests. `auto` means one per available core',
    '(`os.availableParallelism()`). For the `async` class, one worker per core is usually right: each',
    'worker serves many connections at once on its event loop.',
  ].join('\n'),
});

export const workerClass = setting<WorkerClass>({
  name: 'workerClass',
  section: 'Worker Processes',
  flags: ['-k', '--worker-class'],
  kind: 'enum',
  metavar: 'CLASS',
  choices: WORKER_CLASSES,
  default: () => ({ value: 'async' }),
  defaultDoc: '`async` (`thread` when `--threads` is more than 1)',
  parse: (raw) => {
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    const alias = typeof name === 'string' ? WORKER_CLASS_ALIASES[name] : undefined;
    if (alias) return alias;
    try {
      return parseEnum(raw, WORKER_CLASSES);
    } catch {
      throw new BadValue(`one of ${WORKER_CLASSES.join(', ')} (or a Gunicorn name: ${Object.keys(WORKER_CLASS_ALIASES).join(', ')})`);
    }
  },
  notice: (raw, value) => {
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    return WORKER_CLASS_ALIASES[name] ? `Worker class "${name}" is Gunicorn's name; using corral's "${value}"` : undefined;
  },
  help: 'How a worker serves requests: async (event loop), sync (one request at a time) or thread.',
  doc: [
    'How each worker serves requests (see docs/worker-classes.md for choosing one):',
    '',
    '- `async`: the app runs on Node\'s event loop; many connections and requests at once per worker,',
    '  up to `--worker-connections`. For I/O-bound apps: most Node apps.',
    '- `sync`: one request at a time per worker. A busy worker accepts nothing, so no request waits',
    '  behind it while another worker is idle. Each connection closes after its response. For',
    '  CPU-heavy or blocking handlers.',
    '- `thread`: each worker runs `--threads` worker threads, each with its own instance of the app; the',
    '  main thread owns the sockets and HTTP parsing and hands each request to an idle thread. A blocked',
    '  thread blocks neither the others nor the worker.',
    '',
    'Gunicorn\'s names are accepted with a notice: `gevent`, `eventlet`, `tornado`, `gaiohttp` and `asgi`',
    'mean `async`; `gthread` means `thread`.',
  ].join('\n'),
});

export const threads = setting<number>({
  name: 'threads',
  section: 'Worker Processes',
  flags: ['--threads'],
  kind: 'int',
  metavar: 'INT',
  default: () => ({ value: 1 }),
  defaultDoc: '`1`',
  parse: (raw) => parseInt_(raw, 1, 256),
  help: 'Worker threads per worker process for the thread class (more than 1 selects it).',
  doc: [
    'The number of worker threads in each worker process of the `thread` class, each with its own',
    'instance of the app. As in Gunicorn, a value above 1 with the default worker class selects the',
    '`thread` class; the `async` and `sync` classes ignore it (with a notice).',
  ].join('\n'),
});

export const workerConnections = setting<number>({
  name: 'workerConnections',
  section: 'Worker Processes',
  flags: ['--worker-connections'],
  kind: 'int',
  metavar: 'INT',
  default: () => ({ value: 1000 }),
  defaultDoc: '`1000`',
  parse: (raw) => parseInt_(raw, 1),
  help: 'The most connections one worker holds open at once.',
  doc: [
    'The most client connections a single worker holds at once (`async` and `thread` classes). At the',
    'limit, a new connection takes the place of the keep-alive connection that has been idle longest',
    '(at least a second since its latest request), as nginx does, so idle clients never keep new ones',
    'waiting. When every connection is busy, the worker stops accepting until one closes or goes idle;',
    'the other workers keep accepting, and connections nobody can take yet wait in the listen queue',
    '(`--backlog`) instead of being refused.',
  ].join('\n'),
});

export const rebalance = setting<boolean>({
  name: 'rebalance',
  section: 'Worker Processes',
  flags: ['--rebalance'],
  kind: 'boolean',
  default: () => ({ value: true }),
  defaultDoc: '`true`',
  parse: parseBool,
  help: 'Move keep-alive connections off a worker holding more than its share of them.',
  doc: [
    'Workers accept connections from the shared socket themselves, and a burst of new connections can',
    'land mostly on one worker; keep-alive connections would then stay there for their whole life (a',
    'worker started later, after a crash or `TTIN`, would get none of them). With `rebalance` on, the',
    'master compares the connections each worker holds (reported at most 10 times a second); a worker',
    'holding more than its share (the mean, plus 10 %) stops accepting and answers its next requests',
    'on that many surplus connections with `Connection: close`, so those clients reconnect, to a',
    'worker with room. Clients see an ordinary keep-alive close; no request is lost. Applies to the',
    '`async` and `thread` classes with 2 or more workers (`sync` holds one connection at a time).',
    '`--no-rebalance` turns it off.',
  ].join('\n'),
});

export const shareThreads = setting<boolean>({
  name: 'shareThreads',
  section: 'Worker Processes',
  flags: ['--share-threads'],
  kind: 'boolean',
  default: () => ({ value: true }),
  defaultDoc: '`true`',
  parse: parseBool,
  help: 'thread class: requests waiting for a thread are shared between workers, oldest first.',
  doc: [
    'For the `thread` class with 2 or more workers. A keep-alive connection stays with the worker that',
    'accepted it, so without help a request arriving while every thread of that worker is busy waits',
    'for one of them, even when another worker has threads idle, or has only younger requests waiting.',
    'With `share-threads` on, a worker whose requests wait tells the others how long its oldest has',
    'waited (every 50 ms while any does); a worker with an idle thread, or whose own oldest request has',
    'waited at least 50 ms less, asks for that oldest request and runs it. So waiting requests are',
    'served about in arrival order whichever worker holds their connection, as with one queue. The',
    'connection and the HTTP parsing stay with the first worker, which relays the request and the',
    'response (body, backpressure, the client going away) over a private unix socket in a directory',
    'only the server\'s user can open; the app sees the same request, client address included. A',
    'request moves at most once, and nothing is sent while no request waits.',
    '`--no-share-threads` keeps every request on the worker that accepted its connection.',
  ].join('\n'),
});

export const timeout = setting<number>({
  name: 'timeout',
  section: 'Worker Processes',
  flags: ['-t', '--timeout'],
  kind: 'number',
  metavar: 'SECONDS',
  default: () => ({ value: 30 }),
  defaultDoc: '`30`',
  parse: (raw) => {
    const seconds = parseSeconds(raw);
    // The heartbeat cannot beat fast enough to tell a blocked loop from a busy one under a second.
    if (seconds > 0 && seconds < 1) throw new BadValue('0 (off) or a number of seconds >= 1');
    return seconds;
  },
  help: 'Kill and replace a worker whose event loop has been blocked this long (0 disables).',
  doc: [
    'A liveness check, not a request timeout: each worker\'s main thread sends the master a heartbeat',
    'several times per `timeout`. A worker silent for `timeout` seconds (its event loop is blocked, e.g.',
    'by an endless loop) is killed and replaced, and the master logs `WORKER TIMEOUT (pid: N)`.',
    'Long requests that wait on I/O never trip it. `0` disables the check. The `sync` class also',
    'gives a client this long to send its whole request (it holds the worker meanwhile) and answers',
    '`408` after that.',
  ].join('\n'),
});

export const bootTimeout = setting<number>({
  name: 'bootTimeout',
  section: 'Worker Processes',
  flags: ['--boot-timeout'],
  kind: 'number',
  metavar: 'SECONDS',
  default: () => ({ value: 30 }),
  defaultDoc: '`30`',
  parse: (raw) => parseSeconds(raw),
  help: 'Stop the server if a worker has not loaded the app and started serving in this long (0 disables).',
  doc: [
    'A worker that has not loaded the app and started serving this many seconds after it was started',
    '(or `timeout` seconds, when that is longer) is killed (`WORKER TIMEOUT (pid: N) while booting`) and',
    'the master stops with exit code 3, as for any worker that fails to boot, instead of starting the',
    'same hang again (a replacement, once the server has been ready, while other workers serve: it is',
    'retried with a growing delay instead). Loading that never finishes does not always block the event loop (a top-level',
    '`await` on a promise nothing settles, an app thread stuck at import), so this is a deadline, not a',
    'heartbeat. During a reload (`HUP`) the reload is abandoned and the running workers carry on.',
    '`0` waits for ever.',
  ].join('\n'),
});

export const blockedWarning = setting<number>({
  name: 'blockedWarning',
  section: 'Worker Processes',
  flags: ['--blocked-warning'],
  kind: 'number',
  metavar: 'SECONDS',
  default: () => ({ value: 1 }),
  defaultDoc: '`1`',
  parse: (raw) => parseSeconds(raw),
  help: 'Log a WARNING with the stack when a worker\'s event loop is blocked this long (0 disables).',
  doc: [
    'Each worker runs a watchdog thread. When the event loop has been blocked for this many seconds',
    '(slow synchronous code: a huge `JSON.parse`, a synchronous crypto call, an accidental loop), it',
    'logs a WARNING with the JavaScript stack of the blocked code (source-mapped to `.ts` files) and',
    'the requests in flight on that worker, so slow code is visible before it becomes an outage.',
    'Shortly before `--timeout` kills a stuck worker, the same report is logged at ERROR. The watchdog',
    'costs nothing on the request path: the main thread stamps a shared clock a few times a second and the',
    'inspector is only used while a stack is read. `0` turns the warning off.',
  ].join('\n'),
});

export const gracefulTimeout = setting<number>({
  name: 'gracefulTimeout',
  section: 'Worker Processes',
  flags: ['--graceful-timeout'],
  kind: 'number',
  metavar: 'SECONDS',
  default: () => ({ value: 30 }),
  defaultDoc: '`30`',
  parse: (raw) => parseSeconds(raw),
  help: 'How long in-flight requests may take to finish on a graceful stop.',
  doc: [
    'On a graceful stop (SIGTERM), workers stop accepting, close idle keep-alive connections, answer',
    'requests still arriving on open connections with `Connection: close`, and finish what is in flight.',
    'Workers still running after this many seconds are killed.',
  ].join('\n'),
});

export const keepAlive = setting<number>({
  name: 'keepAlive',
  section: 'Worker Processes',
  flags: ['--keep-alive'],
  kind: 'number',
  metavar: 'SECONDS',
  default: () => ({ value: 5 }),
  defaultDoc: '`5`',
  parse: (raw) => parseSeconds(raw),
  help: 'Seconds an idle keep-alive connection stays open (0 closes after each response).',
  doc: [
    'How long an idle keep-alive connection stays open waiting for the next request. `0` closes every',
    'connection after its response. The default is 5 s rather than Gunicorn\'s 2 s. Behind a load',
    'balancer, set it above the balancer\'s idle timeout (e.g. 65 behind one that idles out at 60 s), so',
    'the balancer closes idle connections first instead of reusing one corral is closing (a 502).',
    'Responses advertise it (`Keep-Alive: timeout=N`); as with Node\'s own timeout, the server closes',
    'a connection only after it has been idle a second longer than that (at most about 1.5 s longer),',
    'so a client reusing it just before N never meets the close. A connection that is receiving its',
    'next request, however slowly, or waiting for a response, is not idle.',
  ].join('\n'),
});
