// Entry point of a worker process: receive config and sockets, load the app, serve until told to stop.
import { rmdirSync, rmSync } from 'node:fs';
import v8 from 'node:v8';
import { loadApp, type LoadedApp } from '../app/load-app.js';
import type { Config } from '../config/registry.js';
import { CorralError, ExitCode } from '../errors.js';
import { isCorralMessage, type MasterMessage, type WorkerMessage } from '../ipc/messages.js';
import { describeError, Logger } from '../log/logger.js';
import type { ListenHandle } from './acceptors.js';
import type { WorkerServer } from './http-worker.js';
import { workerClassFactory } from './worker-class.js';
import { Heartbeat } from './heartbeat.js';
import { peerSocketPath } from './thread/peer-network.js';
import { Watchdog } from './watchdog.js';

type WorkerRunState = 'waiting' | 'booting' | 'serving' | 'stopping';

class WorkerMain {
  #state: WorkerRunState = 'waiting';
  #config: Config | null = null;
  #log: Logger | null = null;
  #expected = Infinity;
  #peerDir: string | null = null;
  /** The latest list of serving workers, kept until the app can use it. */
  #peers: number[] | null = null;
  #handles: Array<[number, ListenHandle]> = [];
  #app: LoadedApp | null = null;
  #server: WorkerServer | null = null;
  readonly #heartbeat = new Heartbeat();
  readonly #watchdog = new Watchdog();

  start(): void {
    process.on('message', (msg: unknown, handle: unknown) => this.#onMessage(msg, handle));
    // The master is gone (even SIGKILLed): never outlive it holding the port.
    process.on('disconnect', () => this.#orphaned());
    process.on('SIGTERM', () => void this.#stop());
    process.on('SIGINT', () => process.exit(ExitCode.OK));
    process.on('SIGQUIT', () => process.exit(ExitCode.OK));
    process.on('uncaughtException', (err) => this.#crash(err));
    process.on('unhandledRejection', (reason) => this.#log?.error(`Unhandled promise rejection (the worker carries on):\n${describeError(reason)}`));
  }

  #onMessage(msg: unknown, handle: unknown): void {
    if (!isCorralMessage<MasterMessage>(msg)) return;
    if (msg.type === 'corral:config') {
      // Before the app or any app thread exists: V8's flags are per process (see --v8-flags).
      // One at a time: V8 drops every flag after one it does not know, when given them together.
      for (const flag of msg.config.v8Flags) v8.setFlagsFromString(flag);
      this.#config = msg.config;
      this.#expected = msg.listenerCount;
      this.#peerDir = msg.peerDir;
      this.#log = new Logger({ level: msg.config.logLevel, file: msg.config.errorLogfile });
      const name = msg.config.name ? ` [${msg.config.name}]` : '';
      process.title = `corral: worker${name}`;
      this.#heartbeat.start(msg.config.timeout);
    } else if (msg.type === 'corral:listener' && handle) {
      const index = msg.listener.index;
      if (this.#server) this.#server.addListener(index, handle as ListenHandle);
      else this.#handles.push([index, handle as ListenHandle]);
    } else if (msg.type === 'corral:reopen-logs') {
      // The worker's threads (watchdog, app threads) follow rotation by themselves (see Logger).
      this.#log?.reopenOrReport();
    } else if (msg.type === 'corral:balance') {
      this.#server?.setBalanceLimit(msg.limit);
    } else if (msg.type === 'corral:peers') {
      this.#peers = msg.pids;
      if (this.#state === 'serving') this.#app?.setPeers?.(msg.pids);
    }
    if (this.#state === 'waiting' && this.#config && this.#handles.length >= this.#expected) void this.#boot(this.#config);
  }

  async #boot(config: Config): Promise<void> {
    this.#state = 'booting';
    const log = this.#log!;
    try {
      // The thread class loads the app in each of its threads, never in this one (and only its
      // workers load its modules: see worker-class.ts).
      this.#app = config.workerClass === 'thread'
        ? await (await import('./thread-worker.js')).loadAppInThreads(config, log, this.#peerDir)
        : await loadApp(config.app!, { cwd: process.cwd() });
    } catch (err) {
      log.error(`Exception in worker process while loading the app:\n${describeError(err)}`);
      process.exit(err instanceof CorralError ? err.exitCode : ExitCode.APP_LOAD_ERROR);
    }
    if (this.#state !== 'booting') return; // told to stop while loading
    try {
      const createWorkerServer = await workerClassFactory(config.workerClass);
      this.#server = createWorkerServer({
        config,
        log,
        listener: this.#app.listener,
        requestListeners: () => this.#send({ type: 'corral:listeners-request' }),
        reportConnections: (open) => this.#send({ type: 'corral:connections', open }),
        onListenError: (err) => {
          log.error(`Worker cannot listen: ${err.message}`);
          process.exit(ExitCode.WORKER_BOOT_ERROR);
        },
      });
      for (const [index, h] of this.#handles.splice(0)) this.#server.addListener(index, h);
    } catch (err) {
      log.error(`Worker failed to boot:\n${describeError(err)}`);
      process.exit(ExitCode.WORKER_BOOT_ERROR);
    }
    // node:net reports a failed listen() on the next tick: let it, so that a worker that cannot
    // listen fails its boot (the master halts) instead of crashing after it said it serves.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#state !== 'booting') return;
    this.#state = 'serving';
    if (this.#peers) this.#app.setPeers?.(this.#peers);
    const server = this.#server;
    this.#watchdog.start({
      timeout: config.timeout,
      blockedWarning: config.blockedWarning,
      log: { level: config.logLevel, file: config.errorLogfile },
      inflight: () => server.inflight(),
    });
    this.#send({ type: 'corral:booted', app: this.#app.description });
  }

  async #stop(): Promise<void> {
    if (this.#state === 'stopping') return;
    const serving = this.#state === 'serving';
    this.#state = 'stopping';
    if (!serving || !this.#server) process.exit(ExitCode.OK);
    this.#app?.stopping?.();
    await this.#server.stop();
    await this.#app?.close?.().catch((err: unknown) => this.#log?.warning(`App close failed: ${describeError(err)}`));
    this.#heartbeat.stop();
    this.#watchdog.stop();
    process.exit(ExitCode.OK);
  }

  /**
   * The master died without cleaning up: remove this worker's peer socket, and the master's peer
   * directory once it is empty (the last worker to go removes it), then exit.
   */
  #orphaned(): never {
    if (this.#peerDir !== null) {
      rmSync(peerSocketPath(this.#peerDir, process.pid), { force: true });
      try {
        rmdirSync(this.#peerDir);
      } catch {
        // another worker's socket is still there; that worker removes the directory
      }
    }
    process.exit(ExitCode.OK);
  }

  #crash(err: unknown): void {
    const log = this.#log ?? new Logger({ level: 'info', file: '-' });
    const booting = this.#state === 'booting' || this.#state === 'waiting';
    log.error(`Uncaught exception in worker${booting ? ' while booting' : ''}; exiting:\n${describeError(err)}`);
    process.exit(booting ? ExitCode.WORKER_BOOT_ERROR : ExitCode.ERROR);
  }

  #send(msg: WorkerMessage): void {
    if (process.connected) process.send!(msg, undefined, undefined, () => undefined);
  }
}

new WorkerMain().start();
