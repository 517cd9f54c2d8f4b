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
  return new HttpWorker(opts, { maxConnections: 1, wrap: oneAtATime });
}

type Pending = [IncomingMessage, ServerResponse];

/** Runs requests one after another; keeps the connection only for requests already waiting on it. */
export function oneAtATime(listener: AppListener): AppListener {
  const queue: Pending[] = [];
  let current: ServerResponse | null = null;
  const next = () => {
    current = null;
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (!item[1].destroyed && !item[0].socket?.destroyed) return run(item[0], item[1]);
    }
  };
  const run = (req: IncomingMessage, res: ServerResponse) => {
    current = res;
    res.shouldKeepAlive = queue.length > 0 && res.shouldKeepAlive;
    res.once('close', next);
    listener(req, res);
  };
  return (req, res) => {
    const keep = res.shouldKeepAlive;
    if (current === null) {
      res.shouldKeepAlive = false;
      return run(req, res);
    }
    // A pipelined request: the one running keeps the connection open for it, if not too late.
    if (!current.headersSent) current.shouldKeepAlive = keep;
    res.shouldKeepAlive = keep;
    queue.push([req, res]);
  };
}
