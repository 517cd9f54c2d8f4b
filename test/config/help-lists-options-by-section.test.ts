// --help lists every flag under its docs section heading; --version prints the package version. Test process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/corral.ts';
import { run, tempDir } from './config-helpers.ts';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The --help text split into `{ heading: lines }`. */
function sections(help: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of help.split('\n')) {
    const heading = /^([A-Z][A-Za-z ]+):$/.exec(line);
    if (heading) out.set(heading[1]!, (current = []));
    else if (line.trim() === '') current = undefined;
    else current?.push(line);
  }
  return out;
}

// Each test runs its own corral processes in its own temp dir, so they run concurrently.
describe('corral --help and --version', { concurrency: 4 }, () => {
  // -h also comes after other options, with no APP_MODULE: help needs neither.
  for (const args of [['--help'], ['-w', '3', '-h']]) {
    test(`corral ${args.join(' ')} exits 0 and lists the options grouped under section headings`, async () => {
      const { code, output } = await run(args, { cwd: tempDir() });
      assert.equal(code, 0, output);
      assert.match(output, /^Usage: corral \[OPTIONS\] APP_MODULE$/m);
      const bySection = sections(output);
      const expected: Record<string, RegExp[]> = {
        'Config File': [/^ {2}-c, --config PATH\s/],
        'Server Socket': [/^ {2}-b, --bind ADDRESS\s/, /^ {2}--backlog INT\s/],
        'Worker Processes': [
          /^ {2}-w, --workers INT\|auto\s/,
          /^ {2}-k, --worker-class CLASS\s/,
          /^ {2}-t, --timeout SECONDS\s/,
          /^ {2}--graceful-timeout SECONDS\s/,
          /^ {2}--keep-alive SECONDS\s/,
        ],
        'Server Mechanics': [/^ {2}--chdir DIR\s/, /^ {2}-e, --env KEY=VALUE\s/, /^ {2}-p, --pid FILE\s/, /^ {2}--preload\s/],
        Logging: [/^ {2}--error-logfile, --log-file FILE$/, /^ {2}--log-level LEVEL\s/],
        'Process Naming': [/^ {2}-n, --name STRING\s/],
        Debugging: [/^ {2}--check-config\s/, /^ {2}--print-config\s/],
      };
      for (const [section, flags] of Object.entries(expected)) {
        const lines = bySection.get(section);
        assert.ok(lines, `no "${section}:" heading in --help:\n${output}`);
        for (const re of flags) {
          assert.ok(lines.some((l) => re.test(l)), `"${section}:" has no line matching ${re}:\n${lines.join('\n')}`);
        }
      }
      // Each flag appears under exactly one heading.
      const workersLines = [...bySection.values()].flat().filter((l) => /(^|\s)--workers\b/.test(l));
      assert.equal(workersLines.length, 1, output);
    });
  }

  test('--help gives each setting\'s default, and how to turn off a flag that is on by default', async () => {
    const { code, output } = await run(['--help'], { cwd: tempDir() });
    assert.equal(code, 0, output);
    assert.match(output, /^ {2}--keep-alive SECONDS .*\[default: 5\]$/m);
    assert.match(output, /^ {2}-t, --timeout SECONDS .*\[default: 30\]$/m);
    assert.match(output, /^ {2}--rebalance .*\[on by default; --no-rebalance turns it off\]$/m);
    assert.doesNotMatch(output, /--preload .*default/, 'nothing said of a flag that is off by default');
  });

  test('--help works even when the config file in the working directory is broken', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default { wokers: 2 };\n' });
    const { code, output } = await run(['--help'], { cwd });
    assert.equal(code, 0, output);
    assert.match(output, /Server Socket:/);
  });

  test('--help and --version from CORRAL_CMD_ARGS work too, without reading the config file', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default { wokers: 2 };\n' });
    const help = await run([], { cwd, env: { CORRAL_CMD_ARGS: '--help' } });
    assert.equal(help.code, 0, help.output);
    assert.match(help.output, /Worker Processes:/);
    const version = await run([], { cwd, env: { CORRAL_CMD_ARGS: '-v' } });
    assert.equal(version.code, 0, version.output);
    assert.equal(version.output.trim(), `corral ${VERSION}`);
  });

  for (const flag of ['--version', '-v']) {
    test(`${flag} prints "corral <version>" from package.json and exits 0`, async () => {
      const { code, output } = await run([flag], { cwd: tempDir() });
      assert.equal(code, 0, output);
      assert.equal(output.trim(), `corral ${VERSION}`);
    });
  }
});
