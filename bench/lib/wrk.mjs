// Harness helper: run wrk against 127.0.0.1 and parse its --latency report.
import { execFileSync, spawn } from 'node:child_process';

/** Install wrk with apt-get when it is missing (this box is Debian, we are root). */
export function ensureWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return;
  } catch (err) {
    // wrk --version exits 1 even when present; only ENOENT means missing.
    if (err.code !== 'ENOENT') return;
  }
  console.error('wrk not found; installing it with apt-get');
  execFileSync('sh', ['-c', 'apt-get install -y wrk || (apt-get update && apt-get install -y wrk)'],
    { stdio: 'inherit' });
}

/** Build the wrk argv for a load shape: { threads, connections, headers[], script }. */
export function wrkArgs(load, port, durationS, path = '/') {
  const args = ['-t', String(load.threads ?? 1), '-c', String(load.connections),
    '-d', `${durationS}s`, '--timeout', '5s', '--latency'];
  for (const h of load.headers ?? []) args.push('-H', h);
  if (load.script) args.push('-s', load.script);
  args.push(`http://127.0.0.1:${port}${path}`);
  return args;
}

/** Shell-quoted command line, for the record. */
export function commandLine(argv) {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * wrk runs in a shell that raises the fd limit first and, once wrk exits, prints the CPU time its
 * children used (`times`, POSIX): the generator's own CPU, to flag runs where wrk was the bottleneck.
 */
const WRK_SHELL = 'ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); "$@"; s=$?; times >&2; exit $s';

/**
 * Run wrk; resolves to { command, raw, ...parsed, generator: { cpuPct, limited } }, where cpuPct is
 * wrk's CPU as a % of one core and `limited` says it used over 90 % of its threads' cores. Killed
 * (its whole group) if it overruns by 30 s. `prefix` runs wrk under another command (e.g. taskset).
 */
export function runWrk(args, durationS, { prefix = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', WRK_SHELL, 'sh', ...prefix, 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const guard = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, (durationS + 30) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`wrk exited ${code}:\n${out}`));
      resolve({ command: commandLine([...prefix, 'wrk', ...args]), raw: out, ...parseWrk(out), generator: wrkCpu(out, args, durationS) });
    });
  });
}

/** wrk's CPU from the shell's `times` report (its second line: the children's user and system time). */
function wrkCpu(out, args, durationS) {
  const lines = [...out.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)];
  const children = lines.at(-1);
  if (!children) return { cpuPct: null, limited: false };
  const cpuS = Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]);
  const threads = Number(args[args.indexOf('-t') + 1]) || 1;
  const cpuPct = Math.round((1000 * cpuS) / durationS) / 10;
  return { cpuPct, limited: cpuPct > 90 * threads };
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
}

/** Parse wrk's text report (wrk 4.x with --latency). Latencies in milliseconds. */
export function parseWrk(out) {
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const latency = {};
  for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+\w+)\s*$/gm)) {
    latency[`p${m[1]}`] = toMs(m[2]);
  }
  const avg = /^\s+Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)/m.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = {
    connect: sock ? Number(sock[1]) : 0,
    read: sock ? Number(sock[2]) : 0,
    write: sock ? Number(sock[3]) : 0,
    timeout: sock ? Number(sock[4]) : 0,
    non2xx: /Non-2xx or 3xx responses: (\d+)/.test(out) ? num(/Non-2xx or 3xx responses: (\d+)/) : 0,
  };
  return {
    rps: num(/^Requests\/sec:\s+([\d.]+)/m),
    requests: num(/^\s+(\d+) requests in/m),
    latencyMs: { avg: avg ? toMs(avg[1]) : NaN, max: avg ? toMs(avg[3]) : NaN, ...latency },
    errors,
    errorTotal: Object.values(errors).reduce((a, b) => a + b, 0),
  };
}
