// Entry point of an app thread: load this thread's instance of the app, then serve the requests the main thread hands over. App thread only.
import { parentPort, workerData } from 'node:worker_threads';
import { loadApp, type LoadedApp } from '../../app/load-app.js';
import { describeError, Logger } from '../../log/logger.js';
import { guardListener, type AppListener } from '../handle-request.js';
import { Exchange } from './exchange.js';
import { requestFromWire, responseToWire, serializeError, Tag, type RequestWire, type ToMain, type ToThread } from './protocol.js';
import type { ThreadData } from './protocol.js';

const data = workerData as ThreadData;
const port = parentPort!;
// Writes straight to the file descriptor: this thread's process.stderr goes through the main thread.
const log = new Logger({ ...data.log, direct: true });

/** Liveness: the main thread reads this stamp to tell a thread whose event loop is blocked. */
const beat = new Float64Array(data.beat);

function startBeating(): void {
  beat[0] = Date.now();
  setInterval(() => {
    beat[0] = Date.now();
  }, data.beatMs).unref();
}

function send(msg: ToMain, transfer?: ArrayBuffer[]): void {
  port.postMessage(msg.t === Tag.RESPONSE ? responseToWire(msg) : msg, transfer);
}

let current: Exchange | null = null;

function finished(exchange: Exchange): void {
  if (current === exchange) current = null;
}

function serve(app: LoadedApp): void {
  // Inside the thread, the one generic catch of the request path: a throw or rejection before
  // headers is answered 500 (relayed like any response) and logged; the thread serves on.
  const listener: AppListener = guardListener(app.listener, log);
  port.on('message', (wire: ToThread | RequestWire) => {
    const msg = Array.isArray(wire) ? requestFromWire(wire) : wire;
    if (msg.t === Tag.REQUEST) {
      // Queued requests arrive in one run of message callbacks, without the event loop turning
      // (and the interval stamping) in between: each request starts a fresh stamp, so only one
      // request that runs past the limit counts as stuck, not a chain of short ones.
      beat[0] = Date.now();
      const exchange = new Exchange(msg, send, finished);
      current = exchange;
      listener(exchange.req, exchange.res);
    } else if (msg.t === Tag.CLOSE) {
      void close(app);
    } else if (current !== null && current.id === msg.id) {
      current.receive(msg);
    }
  });
  send({ t: Tag.READY, kind: app.kind, description: app.description });
}

async function close(app: LoadedApp): Promise<void> {
  await app.close?.().catch((err: unknown) => log.warning(`App close failed in thread: ${describeError(err)}`));
  process.exit(0);
}

async function main(): Promise<void> {
  startBeating();
  process.on('unhandledRejection', (reason) => {
    log.error(`Unhandled promise rejection in an app thread (the thread carries on):\n${describeError(reason)}`);
  });
  let app: LoadedApp;
  try {
    app = await loadApp(data.app, { cwd: data.cwd });
  } catch (err) {
    send({ t: Tag.FAILED, error: serializeError(err) });
    return;
  }
  serve(app);
}

void main();
