// Which config file corral loads (corral.config.ts/.mjs/.js in the cwd, or -c PATH) and that TypeScript ones load. Test process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/corral.ts';
import { CONFIG_FIXTURES, get, printConfig, tempDir } from './config-helpers.ts';

const TYPED = path.join(CONFIG_FIXTURES, 'typed');

/** A TypeScript config file that only TypeScript can load: a type annotation and an interface. */
const TS_CONFIG = [
  'interface Tuning { workers: number; keepAlive: number }',
  'const tuning: Tuning = { workers: 3, keepAlive: 12 };',
  'export default { ...tuning, timeout: 41 as number };',
  '',
].join('\n');

// Each test runs its own corral processes in its own temp dir, so they run concurrently.
describe('the config file', { concurrency: 4 }, () => {
  test('corral.config.ts in the working directory is found and loaded', async () => {
    const cwd = tempDir({ 'corral.config.ts': TS_CONFIG });
    const printed = await printConfig([], { cwd });
    const file = path.join(cwd, 'corral.config.ts');
    assert.equal(printed.configFile, file);
    assert.deepEqual(get(printed, 'config'), { value: file, source: 'found in the working directory' });
    assert.deepEqual(get(printed, 'workers'), { value: 3, source: `config file ${file}` });
    assert.deepEqual(get(printed, 'keepAlive').value, 12);
    assert.deepEqual(get(printed, 'timeout').value, 41);
  });

  test('a TypeScript config file in a "type": "module" package loads too', async () => {
    const cwd = tempDir({ 'package.json': '{ "type": "module" }\n', 'corral.config.ts': TS_CONFIG });
    const printed = await printConfig([], { cwd });
    assert.deepEqual(get(printed, 'workers').value, 3);
  });

  test('corral.config.mjs and corral.config.js (CommonJS) are found', async () => {
    const mjs = tempDir({ 'corral.config.mjs': 'export default { workers: 4 };\n' });
    assert.deepEqual(get(await printConfig([], { cwd: mjs }), 'workers').value, 4);
    const cjs = tempDir({ 'corral.config.js': 'module.exports = { workers: 5 };\n' });
    assert.deepEqual(get(await printConfig([], { cwd: cjs }), 'workers').value, 5);
  });

  test('corral.config.ts is preferred over .mjs, and .mjs over .js', async () => {
    const cwd = tempDir({
      'corral.config.ts': 'export default { workers: 2 };\n',
      'corral.config.mjs': 'export default { workers: 3 };\n',
      'corral.config.js': 'export default { workers: 4 };\n',
    });
    assert.deepEqual(get(await printConfig([], { cwd }), 'workers').value, 2);
    fs.rmSync(path.join(cwd, 'corral.config.ts'));
    assert.deepEqual(get(await printConfig([], { cwd }), 'workers').value, 3);
  });

  test('-c PATH (relative to the working directory) is loaded instead of the default file', async () => {
    const cwd = tempDir({
      'corral.config.mjs': 'export default { workers: 3, timeout: 33 };\n',
      'conf/prod.mjs': 'export default { workers: 6 };\n',
    });
    const printed = await printConfig(['-c', 'conf/prod.mjs'], { cwd });
    const file = path.join(cwd, 'conf', 'prod.mjs');
    assert.equal(printed.configFile, file);
    assert.deepEqual(get(printed, 'workers'), { value: 6, source: `config file ${file}` });
    assert.deepEqual(get(printed, 'timeout'), { value: 30, source: 'default' }, 'the default config file must not be read too');
    assert.deepEqual(get(printed, 'config'), { value: 'conf/prod.mjs', source: 'command line' });
  });

  test('--config=PATH and -c from CORRAL_CMD_ARGS work too', async () => {
    const cwd = tempDir({ 'a.mjs': 'export default { workers: 7 };\n' });
    assert.deepEqual(get(await printConfig(['--config=a.mjs'], { cwd }), 'workers').value, 7);
    assert.deepEqual(get(await printConfig([], { cwd, env: { CORRAL_CMD_ARGS: '-c a.mjs' } }), 'workers').value, 7);
  });

  test('a config file may export a function returning the settings', async () => {
    const cwd = tempDir({ 'corral.config.mjs': 'export default async () => ({ workers: 8 });\n' });
    assert.deepEqual(get(await printConfig([], { cwd }), 'workers').value, 8);
  });

  test("a typed corral.config.ts using defineConfig from 'corral' loads (the package references itself by name)", async () => {
    const printed = await printConfig([], { cwd: TYPED });
    const file = path.join(TYPED, 'corral.config.ts');
    assert.equal(printed.configFile, file);
    const source = `config file ${file}`;
    assert.deepEqual(get(printed, 'workers'), { value: 3, source });
    assert.deepEqual(get(printed, 'keepAlive'), { value: 11, source });
    assert.deepEqual(get(printed, 'bind'), { value: ['127.0.0.1:8123'], source });
    assert.deepEqual(get(printed, 'timeout'), { value: 45, source });
  });

  test("defineConfig from 'corral' works in a CommonJS project outside the repo that has corral installed", async () => {
    // A user's project: no "type": "module", corral in node_modules (a symlink stands in for npm install).
    const cwd = tempDir({
      'package.json': '{ "name": "my-service", "private": true }\n',
      'corral.config.ts': [
        "import { defineConfig, type UserConfig } from 'corral';",
        "const base: UserConfig = { workers: 2, bind: ['127.0.0.1:8124'] };",
        'export default defineConfig({ ...base, gracefulTimeout: 12 });',
        '',
      ].join('\n'),
    });
    fs.mkdirSync(path.join(cwd, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(cwd, 'node_modules', 'corral'), 'dir');
    const printed = await printConfig([], { cwd });
    assert.deepEqual(get(printed, 'workers').value, 2);
    assert.deepEqual(get(printed, 'bind').value, ['127.0.0.1:8124']);
    assert.deepEqual(get(printed, 'gracefulTimeout').value, 12);
  });
});
