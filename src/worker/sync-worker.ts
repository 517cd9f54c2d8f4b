// The `sync` worker class: one request at a time per worker, and no request waits behind a busy one. Worker process only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppListener } from './handle-request.js';
import { HttpWorker, type WorkerClassOptions } from './http-worker.js';

/**
 * A sync worker holds one connection at a time and accepts nothing while it has one, so a request
 * never sits in a busy worker's queue while another worker is idle: it waits in the kernel's queue,
 * where the next free worker takes it. Like Gunicorn's sync worker, each connection is closed after
 * its response (`Connection: close`), so an idle keep-alive client never holds a worker. Requests a
 * client pipelined on the connection before the response started are still answered, in order, one
 * at a time.
 */
export function createSyncWorker(opts: WorkerClassOptions): HttpWorker {
  // A client that is slow to send its request holds the whole worker meanwhile. Gunicorn's sync
  // worker is killed after --timeout in that case; this one answers that client 408 after --timeout.
  const { timeout } = opts.config;
  return new HttpWorker(opts, { maxConnections: 1, wrap: oneAtATime, ...(timeout > 0 ? { requestDeadlineMs: Math.round(timeout * 1000) } : {}) });
}

interface Pending {
  req: IncomingMessage;
  res: ServerResponse;
  /** Whether the connection could stay open after this response (the client's wish, not draining). */
  keepAlive: boolean;
}

/**
 * Runs requests one after another. A request waits for the end of the current event-loop turn
 * (setImmediate) before it starts, so that requests pipelined in the same packet are all parsed by
 * then — a microtask is not enough: Node runs microtasks between a request that has a body and the
 * next one. The connection stays open exactly for the requests already waiting on it, and the last
 * response closes it.
 */
export function oneAtATime(listener: AppListener): AppListener {
  const queue: Pending[] = [];
  let current: Pending | null = null;
  let scheduled = false;

  const pump = (): void => {
    scheduled = false;
    while (current === null && queue.length > 0) {
      const item = queue.shift()!;
      if (item.res.destroyed || item.req.socket.destroyed) continue;
      start(item);
    }
  };
  const start = (item: Pending): void => {
    current = item;
    const { req, res } = item;
    res.shouldKeepAlive = item.keepAlive && queue.some((p) => p.req.socket === req.socket);
    let finished = false;
    // A queued response whose connection died never emits 'close' itself: watch the socket too.
    const done = (): void => {
      if (finished) return;
      finished = true;
      res.off('close', done);
      req.socket.off('close', done);
      current = null;
      pump();
    };
    res.once('close', done);
    req.socket.once('close', done);
    listener(req, res);
  };

  return (req, res) => {
    const item: Pending = { req, res, keepAlive: res.shouldKeepAlive };
    // A request pipelined behind the running one keeps the connection open, if not too late.
    if (current && current.req.socket === req.socket && !current.res.headersSent) {
      current.res.shouldKeepAlive = current.keepAlive;
    }
    queue.push(item);
    if (!scheduled && current === null) {
      scheduled = true;
      setImmediate(pump);
    }
  };
}
