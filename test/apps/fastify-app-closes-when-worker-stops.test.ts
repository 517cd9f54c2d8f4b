// A Fastify app gets its close() (and so its onClose hooks) when its worker stops gracefully.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral } from '../helpers/corral.ts';
import { appFixture, get } from './support.ts';

test('SIGTERM to the master runs the Fastify onClose hook in the worker', async () => {
  const corral = await startCorral([appFixture('fastify.ts'), '-w', '1']);
  try {
    assert.equal(await (await get(`${corral.url}/hello`)).text(), 'hello world!');
    assert.doesNotMatch(corral.output, /fastify onClose hook ran/);
    corral.signal('SIGTERM');
    const { code } = await corral.waitExit(10_000);
    assert.equal(code, 0, corral.output);
    assert.match(corral.output, /fastify onClose hook ran/);
  } finally {
    await corral.stop();
  }
});
