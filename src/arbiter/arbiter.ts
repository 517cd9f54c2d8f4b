// The arbiter: binds the sockets, then supervises the workers from one loop. Master only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/registry.js';
import { ExitCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { WorkerMessage } from '../ipc/messages.js';
import { bindAll, closeAll, type Listener } from './listeners.js';
import { Pidfile } from './pidfile.js';
import { SignalQueue, type MasterSignal } from './signal-queue.js';
import { WorkerHandle } from './worker-handle.js';
import { CrashBackoff } from './crash-backoff.js';
import { Balancer } from './balancer.js';

/** How long the master waits for a stuck worker's watchdog report before killing it anyway. */
const STUCK_REPORT_GRACE_MS = 1000;

/**
 * How long a quick stop (INT, QUIT) waits before it SIGKILLs a worker (at most --graceful-timeout).
 * A worker exits at once on SIGQUIT unless its event loop is blocked and cannot run the handler.
 */
const QUICK_STOP_GRACE_MS = 1000;

/** running: serving. stopping: graceful stop. quitting: quick stop. halted: the loop is done. */
type ArbiterState = 'running' | 'stopping' | 'quitting' | 'halted';

export class Arbiter {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #version: string;
  readonly #signals = new SignalQueue();
  readonly #workers = new Map<number, WorkerHandle>();
  readonly #backoff = new CrashBackoff();
  readonly #balancer: Balancer<WorkerHandle>;
  #listeners: Listener[] = [];
  #pidfile: Pidfile | null = null;
  #state: ArbiterState = 'running';
  #exitCode: number = ExitCode.OK;
  #target: number;
  #nextId = 1;
  #startedAt = performance.now();
  #ready = false;
  /** Reloads (SIGHUP) so far. */
  #reloads = 0;
  /** The generation new workers get: the latest reload's, or the serving one's after a reload failed. */
  #generation = 0;
  /** Reloads whose workers could not boot: their stragglers are only logged. */
  readonly #abandoned = new Set<number>();
  /** Whether the latest reload's workers have all booted (or it failed), so it was reported. */
  #reloadSettled = true;
  #dead: Array<{ worker: WorkerHandle; code: number | null; signal: NodeJS.Signals | null }> = [];
  /** The thread class's peer sockets (--share-threads): a directory only this user can open. */
  #peerDir: string | null = null;
  /** The serving workers as last told to them (pids, comma-separated). */
  #peersSent = '';

  constructor(config: Config, log: Logger, version: string) {
    this.#config = config;
    this.#log = log;
    this.#version = version;
    this.#target = config.workers;
    this.#balancer = new Balancer(config.workerConnections, () => [...this.#workers.values()].filter((w) => w.state === 'running'));
  }

  /** Serves until stopped; resolves with the process exit code. */
  async run(): Promise<number> {
    await this.#start();
    while (this.#state !== 'halted') {
      const signals = await this.#signals.wait(this.#tickMs());
      for (const sig of signals) this.#handleSignal(sig);
      this.#killStaleWorkers();
      this.#reapWorkers();
      this.#manageWorkers();
      this.#sharePeers();
    }
    this.#cleanup();
    return this.#exitCode;
  }

  async #start(): Promise<void> {
    this.#log.info(`Starting corral ${this.#version}`);
    this.#listeners = await bindAll(this.#config.bind, this.#log);
    if (this.#config.pid) {
      this.#pidfile = new Pidfile(this.#config.pid);
      this.#pidfile.create(process.pid);
    }
    this.#signals.install();
    if (this.#config.workerClass === 'thread' && this.#config.shareThreads) this.#peerDir = mkdtempSync(join(tmpdir(), 'corral-peers-'));
    for (const l of this.#listeners) this.#log.info(`Listening at: ${l.url} (${process.pid})`);
    this.#log.info(`Using worker: ${this.#config.workerClass}`);
    this.#manageWorkers();
  }

  #tickMs(): number {
    const t = this.#config.timeout;
    return t > 0 ? Math.min(1000, Math.max(50, (t * 1000) / 4)) : 1000;
  }

  #handleSignal(sig: MasterSignal): void {
    switch (sig) {
      case 'SIGTERM':
        return this.#stop(true, 'Handling signal: term');
      case 'SIGINT':
      case 'SIGQUIT':
        return this.#stop(false, `Handling signal: ${sig.slice(3).toLowerCase()}`);
      case 'SIGTTIN':
        this.#target += 1;
        return this.#log.info(`Handling signal: ttin; workers: ${this.#target}`);
      case 'SIGTTOU':
        this.#target = Math.max(1, this.#target - 1);
        return this.#log.info(`Handling signal: ttou; workers: ${this.#target}`);
      case 'SIGHUP':
        this.#log.info('Handling signal: hup');
        return this.#reload();
      case 'SIGUSR1':
        return this.#reopenLogs();
      case 'SIGUSR2':
        return this.#log.warning('Handling signal: usr2; re-executing the master is not supported (send HUP to reload the workers with new code)');
    }
  }

  /** SIGUSR1: reopens the log files (after rotation); the line saying so is the new file's first. */
  #reopenLogs(): void {
    if (this.#log.reopenOrReport()) this.#log.info('Handling signal: usr1; log files reopened');
    for (const w of this.#workers.values()) w.reopenLogs();
  }

  /**
   * SIGHUP: new workers load the app afresh (new code) while the old ones keep serving; each old
   * worker is stopped gracefully once a new one has booted to take its place (see #manageWorkers).
   * If the new workers cannot load the app, the old ones carry on.
   */
  #reload(): void {
    if (this.#state !== 'running') return;
    this.#generation = ++this.#reloads;
    this.#reloadSettled = false;
    this.#log.info(`Hang up: Master; reloading: booting ${this.#target} new worker(s), the old ones stop once the new ones serve`);
    for (let i = 0; i < this.#target; i++) this.#spawnWorker();
  }

  /** Graceful: workers finish in-flight requests within graceful-timeout. Quick: workers exit now. */
  #stop(graceful: boolean, why: string, exitCode?: number): void {
    if (exitCode !== undefined && this.#exitCode === ExitCode.OK) this.#exitCode = exitCode;
    if (this.#state === 'quitting' || (this.#state === 'stopping' && graceful)) return;
    this.#log.info(why);
    this.#state = graceful ? 'stopping' : 'quitting';
    // Like Gunicorn, close the listening sockets first: new connections are refused at once
    // instead of queueing where no worker will accept them.
    this.#closeListeners();
    const gracefulMs = this.#config.gracefulTimeout * 1000;
    const graceMs = graceful ? gracefulMs : Math.min(gracefulMs, QUICK_STOP_GRACE_MS);
    const reason = graceful ? this.#gracefulReason() : `${graceMs / 1000} s after a quick stop`;
    // A quick stop after a graceful one shortens the deadline; nothing ever extends one. A worker
    // still booting has no request to finish: if it cannot act on the signal (its app's loading
    // blocks its event loop), waiting for the graceful timeout would only delay the stop.
    const bootingMs = Math.min(graceMs, QUICK_STOP_GRACE_MS);
    for (const w of this.#workers.values()) {
      const booted = w.isBooted();
      w.stop(graceful ? 'SIGTERM' : 'SIGQUIT', performance.now() + (booted ? graceMs : bootingMs), booted ? reason : `${bootingMs / 1000} s after a stop while booting`);
    }
    this.#signals.wakeAfter(graceMs);
  }

  #gracefulReason(): string {
    return `after --graceful-timeout ${this.#config.gracefulTimeout} s`;
  }

  /** Stops one worker gracefully while the server runs on (TTOU, a reload): SIGKILL at --graceful-timeout. */
  #retire(w: WorkerHandle, why: string): void {
    this.#log.info(`Stopping worker (pid:${w.pid}): ${why}`);
    w.stop('SIGTERM', performance.now() + this.#config.gracefulTimeout * 1000, this.#gracefulReason());
    this.#signals.wakeAfter(this.#config.gracefulTimeout * 1000);
  }

  /** A worker whose event loop sent no heartbeat for `timeout` seconds is stuck: kill it. */
  #killStaleWorkers(): void {
    const now = performance.now();
    for (const w of this.#workers.values()) {
      if (w.killAt > now) continue;
      w.stopReason = w.killAtReason;
      w.killAt = Infinity;
      w.kill('SIGKILL');
    }
    const { timeout, bootTimeout } = this.#config;
    if (this.#state !== 'running' || (timeout <= 0 && bootTimeout <= 0)) return;
    // Loading an app (compiling TypeScript on a busy machine) may take longer than a tight
    // --timeout allows a running worker's event loop to block: a worker has the longer of the two to boot.
    const bootLimit = bootTimeout > 0 ? Math.max(timeout, bootTimeout) : 0;
    for (const w of this.#workers.values()) {
      // A running worker is stuck when its event loop stops beating. A booting one is stuck when it
      // has not booted in time, beating or not: an app whose loading waits forever (a top-level
      // await that never settles, an app thread blocked at import) leaves the loop free to beat.
      const overdue = w.isBooted()
        ? timeout > 0 && w.silentFor(now) >= timeout
        : bootLimit > 0 && now - w.spawnedAt >= bootLimit * 1000;
      if (w.state === 'stopping' || !overdue) continue;
      if (w.timedOutAt === 0) {
        w.timedOutAt = now;
        this.#log.critical(`WORKER TIMEOUT (pid: ${w.pid})${w.isBooted() ? '' : ` while booting: the app did not finish loading in ${bootLimit} s`}`);
      }
      // Give its watchdog a moment to log the stuck code's stack, unless it already has.
      const reported = w.stuckReportedAt >= now - w.silentFor(now) * 1000;
      if (w.isBooted() && !reported && now - w.timedOutAt < STUCK_REPORT_GRACE_MS) {
        this.#signals.wakeAfter(STUCK_REPORT_GRACE_MS);
        continue;
      }
      w.state = 'stopping';
      w.stopReason = 'after WORKER TIMEOUT';
      w.kill('SIGKILL');
    }
  }

  /** Spawns or culls workers to the target count; ends the loop once a stop has reaped everyone. */
  #manageWorkers(): void {
    if (this.#state !== 'running') {
      if (this.#workers.size === 0) this.#state = 'halted';
      return;
    }
    const live = [...this.#workers.values()].filter((w) => w.state !== 'stopping');
    this.#cullSurplus(live);
    // A worker killed for not booting in time is not replaced: its exit stops the master (or the reload).
    const hung = [...this.#workers.values()].filter((w) => w.state === 'stopping' && !w.isBooted() && w.timedOutAt > 0);
    const missing = this.#target - live.length - hung.length;
    if (missing <= 0) return;
    const wait = this.#backoff.delayMs(performance.now());
    if (wait > 0) return this.#signals.wakeAfter(wait);
    for (let i = 0; i < missing; i++) this.#spawnWorker();
  }

  /**
   * More workers than wanted (TTOU, a reload): stops the oldest first, as Gunicorn does, but only
   * while enough booted workers remain to serve — a reload's new workers take over before the old
   * ones go.
   */
  #cullSurplus(live: WorkerHandle[]): void {
    const booted = live.filter((w) => w.isBooted());
    let cull = Math.min(live.length - this.#target, booted.length - this.#target);
    for (const w of booted) {
      if (cull-- <= 0) break;
      this.#retire(w, w.generation < this.#generation ? 'reloaded' : 'more workers than wanted');
      live.splice(live.indexOf(w), 1);
    }
  }

  #spawnWorker(): void {
    const worker = new WorkerHandle(this.#nextId++, this.#generation, this.#config, this.#listeners, this.#peerDir, {
      onMessage: (w, msg) => this.#onMessage(w, msg),
      onStuckReport: () => this.#signals.wake(),
      onExit: (w, code, signal) => {
        this.#dead.push({ worker: w, code, signal });
        this.#signals.wake();
      },
    });
    this.#workers.set(worker.pid, worker);
    this.#log.info(`Booting worker with pid: ${worker.pid}`);
  }

  #onMessage(worker: WorkerHandle, msg: WorkerMessage): void {
    if (msg.type === 'corral:connections') {
      worker.open = msg.open;
      this.#rebalance();
      return;
    }
    if (msg.type !== 'corral:booted') return;
    worker.bootedAt = performance.now();
    if (worker.state === 'booting') worker.state = 'running';
    this.#rebalance();
    this.#sharePeers();
    this.#log.debug(`Worker (pid:${worker.pid}) booted: ${msg.app}`);
    if (!this.#ready && this.#state === 'running' && [...this.#workers.values()].filter((w) => w.isBooted()).length >= this.#target) {
      this.#ready = true;
      this.#log.info(`Ready: ${this.#target} worker(s) serving ${msg.app} (started in ${Math.round(performance.now() - this.#startedAt)} ms)`);
    }
    if (this.#reloadSettled) return;
    // A reload retires an old worker as each new one boots (#manageWorkers): run the loop now.
    this.#signals.wake();
    const fresh = [...this.#workers.values()].filter((w) => w.generation === this.#generation && w.isBooted() && w.state !== 'stopping');
    if (fresh.length >= this.#target) {
      this.#reloadSettled = true;
      this.#log.info(`Reloaded: ${fresh.length} new worker(s) serving ${msg.app}`);
    }
  }

  /**
   * Spreads keep-alive connections over the serving workers (see balancer.ts): run when a worker
   * reports its count, starts serving, or goes.
   */
  #rebalance(): void {
    // Only workers that balance report their counts (not sync's), so the others are never limited.
    if (!this.#config.rebalance || this.#state !== 'running') return;
    this.#balancer.update();
  }

  /**
   * Tells the thread class's serving workers which workers serve, when that changed (--share-threads):
   * they pass waiting requests only to those. A stopping worker leaves the list at once.
   */
  #sharePeers(): void {
    if (this.#peerDir === null) return;
    const serving = [...this.#workers.values()].filter((w) => w.state === 'running' && w.isBooted());
    const pids = serving.map((w) => w.pid);
    const key = pids.join(',');
    if (key === this.#peersSent) return;
    this.#peersSent = key;
    for (const w of serving) w.setPeers(pids);
  }

  #reapWorkers(): void {
    const dead = this.#dead.splice(0);
    for (const { worker, code, signal } of dead) this.#reapWorker(worker, code, signal);
    if (dead.length > 0) this.#rebalance();
  }

  /** Logs why a worker exited, and halts on boot failures instead of respawning. */
  #reapWorker(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(worker.pid);
    const expected = worker.state === 'stopping';
    const how = signal ? `was sent ${signal}` : `exited with code ${code}`;
    // Exit 3 or 4 is corral's own word for it; any other exit (not a signal) before the worker said it
    // serves is the app ending the process while it loads (process.exit at import): as broken.
    // Killed for not booting in time: as broken as a worker that failed to boot, and it would hang
    // again on every respawn.
    const bootTimedOut = !worker.isBooted() && worker.timedOutAt > 0;
    const bootFailure = bootTimedOut || (!worker.isBooted() && signal === null &&
      (code === ExitCode.WORKER_BOOT_ERROR || code === ExitCode.APP_LOAD_ERROR || !expected));
    const died = `Worker (pid:${worker.pid}) ${how}${bootTimedOut ? ' after WORKER TIMEOUT while booting' : ''}`;
    // A worker of an abandoned reload is only logged.
    if (bootFailure && (this.#abandoned.has(worker.generation) || ((!expected || bootTimedOut) && this.#reloadFailed(worker)))) {
      this.#log.error(died);
    } else if (bootFailure && this.#ready && this.#state === 'running' && this.#serving().length > 0) {
      // A replacement (for a crashed, killed or stuck worker, once the server has been ready) that
      // cannot boot while others serve: the code on disk no longer loads, or something it needs is
      // gone. Halting would take the serving workers down with it; keep them, and try again with the
      // crash backoff. At start (before Ready) a worker that cannot boot halts the master, as in Gunicorn.
      const delay = this.#backoff.recordCrash(performance.now(), null);
      const serving = this.#serving().length;
      this.#log.error(`${died}: a new worker could not boot;` +
        ` the ${serving} running worker(s) keep serving; trying again${delay > 0 ? ` in ${(delay / 1000).toFixed(1)} s` : ''}`);
    } else if (bootTimedOut) {
      this.#log.error(`${died}. Loading the app never finished:` +
        ' a top-level await that never settles, or code that blocks while the module loads? `corral APP --check-config`' +
        ' loads it in the foreground; --boot-timeout gives a slow app longer to load.');
      this.#stop(true, 'Shutting down: Worker failed to boot.', ExitCode.WORKER_BOOT_ERROR);
    } else if (bootFailure) {
      const reason = code === ExitCode.APP_LOAD_ERROR ? 'App failed to load.' : 'Worker failed to boot.';
      const own = code === ExitCode.WORKER_BOOT_ERROR || code === ExitCode.APP_LOAD_ERROR;
      this.#log.error(`Worker (pid:${worker.pid}) ${how}${own ? '' : ' before it booted (did the app end the process while loading?)'}`);
      this.#stop(true, `Shutting down: ${reason}`, own ? code : ExitCode.WORKER_BOOT_ERROR);
    } else if (worker.stopReason) {
      // A worker killed for being stuck counts as a crash: one stuck at every boot must not respawn in a hot loop.
      const stuck = worker.timedOutAt > 0;
      const delay = stuck && this.#state === 'running' ? this.#backoff.recordCrash(performance.now(), worker.bootedAt) : 0;
      const respawn = delay > 0 ? `; respawning in ${(delay / 1000).toFixed(1)} s (it keeps crashing)` : '';
      this.#log.error(`Worker (pid:${worker.pid}) ${how} ${worker.stopReason}${respawn}`);
    } else if (expected) {
      this.#log.info(`Worker exiting (pid: ${worker.pid})`);
    } else {
      // Gunicorn's words: "was sent SIGKILL! Perhaps out of memory?"
      const hint = signal === null ? '' : signal === 'SIGKILL' ? '! Perhaps out of memory?' : '!';
      const delay = this.#backoff.recordCrash(performance.now(), worker.bootedAt);
      const respawn = delay > 0 ? ` (it keeps crashing: respawning in ${(delay / 1000).toFixed(1)} s)` : '';
      this.#log.error(`Worker (pid:${worker.pid}) ${how}${hint}${respawn}`);
    }
  }

  /** The workers serving now: booted and not stopping. */
  #serving(): WorkerHandle[] {
    return [...this.#workers.values()].filter((w) => w.isBooted() && w.state !== 'stopping');
  }

  /**
   * A reload's new worker failed to boot while older workers still serve: the reload is abandoned
   * (its other new workers are stopped) and the old workers carry on. False when no reload is the cause.
   */
  #reloadFailed(worker: WorkerHandle): boolean {
    if (this.#state !== 'running' || worker.generation === 0) return false;
    const serving = this.#serving().filter((w) => w.generation < worker.generation);
    if (serving.length === 0) return false;
    for (const w of this.#workers.values()) {
      if (w.generation === worker.generation && !w.isBooted() && w.state !== 'stopping') w.stop('SIGTERM', performance.now() + QUICK_STOP_GRACE_MS, 'after the reload failed');
    }
    this.#reloadSettled = true;
    this.#abandoned.add(worker.generation);
    // Workers spawned from now on (replacing crashed ones) belong with the ones serving.
    this.#generation = Math.max(...serving.map((w) => w.generation));
    this.#log.error(`Reload failed: a new worker could not boot; the ${serving.length} running worker(s) keep serving the code they loaded`);
    return true;
  }

  #closeListeners(): void {
    closeAll(this.#listeners);
    this.#listeners = [];
  }

  #cleanup(): void {
    this.#balancer.stop();
    this.#signals.uninstall();
    this.#closeListeners();
    this.#pidfile?.remove(process.pid);
    if (this.#peerDir !== null) rmSync(this.#peerDir, { recursive: true, force: true });
    this.#log.info('Shutting down: Master');
  }
}
