// Experiment for node-cluster SHED=1|2: workers stop accepting while over their fair share.
// shedWhenOverShare runs in a worker; coordinateShedding runs in the master.
//
// SHED=2 also rebalances keep-alive connections already accepted: a worker over
// fair + slack answers its next requests with `Connection: close` on that many surplus
// connections, so those clients reconnect, and land on a worker that is still accepting.
//
// Each worker reports its open-connection count to the master (coalesced per tick). The
// master computes fair = ceil(total / workers) and tells a worker over fair + slack to
// pause (close its listening handle), but only while another worker is listening, since
// node:cluster closes the shared socket when its last worker lets go; a paused worker
// resumes once it is back at or under fair. The decision is the master's, so it lags the
// workers by one IPC round trip.
import cluster from 'node:cluster';
import net from 'node:net';

// Tolerated surplus over the fair share: SHED_SLACK connections, or by default 10% of the
// fair share (0 for small pools, so 8 connections split 4/4; 3 of 32, so 35/29 at worst).
const slackFor = (fair) =>
  (process.env.SHED_SLACK === undefined ? Math.floor(fair / 10) : Number(process.env.SHED_SLACK));
const debug = process.env.SHED_DEBUG ? (...a) => console.error(`[${process.pid}]`, ...a) : () => {};

/** Worker side. */
export function shedWhenOverShare(server, { port, host, rebalance = false }) {
  let open = 0;
  let fair = Infinity;
  let closing = 0; // surplus connections already told to close
  let lastShed = 0;
  let listening = true;
  let reportQueued = false;
  const send = () => process.send?.({ shed: 'open', open, listening });
  // SHED_REPORT_MS > 0: report at most that often (cheap, lazy); else once per loop turn.
  const reportMs = Number(process.env.SHED_REPORT_MS ?? 0);
  let dirty = false;
  if (reportMs > 0) setInterval(() => { if (dirty) { dirty = false; send(); } }, reportMs).unref();
  const report = (now = false) => {
    if (reportMs > 0 && !now) { dirty = true; return; }
    if (reportQueued) return;
    reportQueued = true;
    setImmediate(() => { reportQueued = false; send(); });
  };
  server.on('connection', (socket) => {
    open++;
    report();
    socket.once('close', () => { open--; report(); });
  });
  if (rebalance) {
    // Prepended so it runs before the app's listener writes the response.
    server.prependListener('request', (req, res) => {
      const socket = req.socket;
      if (socket.shedClosing || open - closing <= fair + slackFor(fair)) return;
      // With lagging (lazy) counts, close at most one surplus connection per report
      // interval, or stale shares make both workers shed in turn and churn forever.
      if (reportMs > 0 && Date.now() - lastShed < reportMs) return;
      lastShed = Date.now();
      socket.shedClosing = true;
      closing++;
      socket.once('close', () => { closing--; });
      res.setHeader('connection', 'close');
    });
  }
  process.on('message', (msg) => {
    if (msg?.shed === 'fair') {
      fair = msg.fair;
      return;
    }
    if (msg?.shed) debug(msg.shed, { open, listening });
    if (msg?.shed === 'pause' && listening) {
      listening = false;
      // net's close, not http's: http.Server#close also drops idle keep-alive sockets.
      net.Server.prototype.close.call(server);
      report(true);
    } else if (msg?.shed === 'resume' && !listening) {
      // Report listening only once the master has handed the socket back; until then
      // the master must not let the other worker go, or the shared socket closes.
      server.listen(port, host, () => { listening = true; report(true); });
    }
  });
}

/** Master side: call once after forking. */
export function coordinateShedding(workers, { rebalance = false } = {}) {
  const state = new Map(); // worker id -> { open, listening, pending }
  cluster.on('message', (worker, msg) => {
    if (msg?.shed !== 'open') return;
    const prev = state.get(worker.id);
    // While a command is in flight, reports sent before the worker saw it are stale.
    const done = !prev?.pending || (prev.pending === 'pause') !== msg.listening;
    state.set(worker.id, done
      ? { open: msg.open, listening: msg.listening, pending: null }
      : { ...prev, open: msg.open });
    decide(workers);
  });
  cluster.on('exit', (worker) => state.delete(worker.id));

  let lastFair = -1;
  function decide(n) {
    const all = [...state.entries()];
    const total = all.reduce((sum, [, s]) => sum + s.open, 0);
    const fair = Math.ceil(total / n);
    if (rebalance && fair !== lastFair) {
      lastFair = fair;
      for (const [id] of all) cluster.workers[id]?.send({ shed: 'fair', fair });
    }
    for (const [id, s] of all) {
      const others = all.filter(([other, o]) => other !== id && o.listening).length;
      if (s.pending) continue;
      if (s.listening && s.open > fair + slackFor(fair) && others > 0) {
        s.listening = false; // stops counting as listening at once
        s.pending = 'pause';
        cluster.workers[id]?.send({ shed: 'pause' });
      } else if (!s.listening && s.open < fair) {
        s.pending = 'resume'; // counts as listening only when it reports so
        cluster.workers[id]?.send({ shed: 'resume' });
      }
    }
  }
}
