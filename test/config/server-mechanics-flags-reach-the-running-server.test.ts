// -e, --chdir, -n, --pid, --error-logfile and --log-level take effect in a running server. Test process.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startCorral, type Corral } from '../helpers/corral.ts';
import { APP, CONFIG_FIXTURES, freePort, tempDir, until } from './config-helpers.ts';

interface AppView {
  x: string | null;
  y: string | null;
  cwd: string;
  pid: number;
  title: string;
}

/** GET url as JSON on a fresh `Connection: close` connection, so no idle keep-alive socket delays the stop. */
async function getJson(url: string): Promise<AppView> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { agent: false, timeout: 5000 }, resolve).on('error', reject).on('timeout', function (this: http.ClientRequest) {
      this.destroy(new Error(`GET ${url} timed out`));
    });
  });
  let body = '';
  for await (const chunk of res) body += chunk;
  assert.equal(res.statusCode, 200, body);
  return JSON.parse(body) as AppView;
}

/** A process's title as ps shows it (Linux: /proc/PID/cmdline, NUL-separated). */
function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
}

describe('-e, --chdir, -n and --pid on one running server', () => {
  const tmp = tempDir();
  const pidfile = path.join(tmp, 'corral.pid');
  let corral: Corral | undefined;
  let view: AppView;

  before(async () => {
    // cwd is an empty dir: app.mjs only resolves because --chdir points at the fixtures.
    corral = await startCorral(
      ['-e', 'X=hello', '--env', 'Y=two words', '--chdir', CONFIG_FIXTURES, 'app.mjs', '-n', 'cfgtest', '--pid', pidfile],
      { cwd: tmp },
    );
    view = await getJson(corral.url);
  });
  after(() => corral?.stop());

  test('-e KEY=VALUE (repeatable) reaches the app', () => {
    assert.equal(view.x, 'hello');
    assert.equal(view.y, 'two words');
  });

  test('--chdir makes APP_MODULE relative to DIR and is the workers\' working directory', () => {
    assert.equal(fs.realpathSync(view.cwd), fs.realpathSync(CONFIG_FIXTURES));
  });

  test('-n NAME sets the master process title (and the workers\')', () => {
    // Linux may cut a long title short; "corral: master [cfgtest]" fits in the original argv.
    assert.equal(cmdline(corral!.pid), 'corral: master [cfgtest]');
    assert.equal(view.title, 'corral: worker [cfgtest]');
  });

  test('--pid FILE holds the master pid while it runs and is removed on exit', async () => {
    assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(corral!.pid));
    corral!.signal('SIGTERM');
    const { code } = await corral!.waitExit(15_000);
    assert.equal(code, 0, corral!.output);
    assert.equal(fs.existsSync(pidfile), false, `pidfile ${pidfile} is still there after exit`);
  });
});

test('--error-logfile FILE sends the log to FILE, not to stderr', async () => {
  const log = path.join(tempDir(), 'error.log');
  const corral = await startCorral([APP, '--error-logfile', log], { waitFor: null });
  try {
    const text = await until('the Ready line in the log file', () => {
      const t = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      return /\[INFO\] Ready: /.test(t) ? t : undefined;
    });
    assert.match(text, /\[INFO\] Listening at: http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(corral.output, /Ready:|Listening at/, 'the log went to stderr as well');
  } finally {
    await corral.stop();
  }
});

test('--log-level warning hides INFO lines', async () => {
  const port = await freePort();
  const corral = await startCorral([APP, '-b', `127.0.0.1:${port}`, '--log-level', 'warning'], { waitFor: null });
  try {
    // No Ready line to wait for: the server is up once it answers.
    const view = await until('the server to answer', () => getJson(`http://127.0.0.1:${port}/`));
    assert.equal(typeof view.pid, 'number');
    corral.signal('SIGTERM');
    await corral.waitExit(15_000);
    assert.doesNotMatch(corral.output, /\[INFO\]/);
  } finally {
    await corral.stop();
  }
});
