// Harness helper: start a target in its own process group, wait until it answers, stop it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on 127.0.0.1 (bound then released; racy, but fine on a quiet box). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** One GET to 127.0.0.1:port; resolves to the status code, or 0 on any failure. */
export function probe(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs,
        headers: { 'x-bench-nocount': '1', connection: 'close' } },
      (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Spawn `cmd` detached (its own process group, pgid = pid) with `env` added to ours.
 * Output goes to the returned `log` array (last lines kept) for error messages.
 */
export function startProcess(cmd, env, cwd) {
  const child = spawn(cmd[0], cmd.slice(1), {
    cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  const keep = (chunk) => {
    log.push(...chunk.toString().split('\n').filter(Boolean));
    if (log.length > 40) log.splice(0, log.length - 40);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
  return { child, pid: child.pid, log, exited, spawnedAt: process.hrtime.bigint() };
}

/** Poll until GET / answers 200; returns ms from spawn to that first 200. Throws at deadline. */
export async function waitReady(proc, port, deadlineMs = 20000, everyMs = 10) {
  const until = Date.now() + deadlineMs;
  let exit = null;
  proc.exited.then((e) => { exit = e; });
  while (Date.now() < until) {
    if (exit) throw new Error(`exited early (code ${exit.code}, signal ${exit.sig}):\n${proc.log.join('\n')}`);
    if ((await probe(port, 500)) === 200) {
      return Number(process.hrtime.bigint() - proc.spawnedAt) / 1e6;
    }
    await sleep(everyMs);
  }
  throw new Error(`not ready on port ${port} after ${deadlineMs} ms:\n${proc.log.join('\n')}`);
}

/** Live (non-zombie) pids whose process group is `pgid`, read from /proc. */
export function groupMembers(pgid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(name));
    } catch {
      // raced with an exit
    }
  }
  return pids;
}

function killGroup(pgid, sig) {
  try { process.kill(-pgid, sig); } catch { /* already gone */ }
}

/** SIGTERM the whole group, wait up to graceMs for every member to exit, then SIGKILL. */
export async function stopProcess(proc, graceMs = 5000) {
  killGroup(proc.pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && groupMembers(proc.pid).length > 0) await sleep(20);
  const left = groupMembers(proc.pid);
  if (left.length > 0) killGroup(proc.pid, 'SIGKILL');
  await Promise.race([proc.exited, sleep(2000)]);
  return { killed: left.length > 0 };
}

// Whatever happens to the harness, take its targets down with it.
const live = new Set();
export function track(proc) {
  live.add(proc);
  proc.exited.then(() => { if (groupMembers(proc.pid).length === 0) live.delete(proc); });
  return proc;
}
function killAll() {
  for (const proc of live) killGroup(proc.pid, 'SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.exit(130); });
}

/**
 * Runs a load-generator tool (argv, cwd `root`) that prints one JSON object as its last line;
 * resolves with that object. Killed if still running `guardS` seconds later.
 */
export function runJsonTool(argv, root, guardS) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const guard = setTimeout(() => child.kill('SIGKILL'), guardS * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      try { resolve(JSON.parse(out.trim().split('\n').pop())); } catch { reject(new Error(`${argv.slice(0, 3).join(' ')} exited ${code}: ${out}`)); }
    });
  });
}
