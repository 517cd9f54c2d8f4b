// One conformance suite, run against every worker class: the same HTTP behaviour and the same graceful stop.
// The classes run side by side, and so do the apps within a class; each app's cases share one server and run
// in order (node:test subtests inherit their parent's concurrency, so each suite says which it wants).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection } from '../arbiter/support.ts';
import type { AppName, Case } from './case.ts';
import { FRAMEWORK_CASES, FRAMEWORKS, frameworkApp } from './framework-cases.ts';
import { HTTP_CASES, PIPELINING_CASES } from './http-cases.ts';
import { LIFECYCLE_CASES } from './lifecycle-cases.ts';
import { CLASSES, FETCH_APP, NODE_APP, ServerPool, startServer, whyNotServing, type ClassSpec } from './servers.ts';

const CASES: readonly Case[] = [...HTTP_CASES, ...LIFECYCLE_CASES, ...PIPELINING_CASES];
const APPS: ReadonlyArray<{ name: AppName; path: string }> = [
  { name: 'node', path: NODE_APP },
  { name: 'fetch', path: FETCH_APP },
];

const pool = new ServerPool();
after(() => pool.stopAll());

// Every server boots at once, up front; tests wait for theirs. A class still being built (thread) fails
// to boot, and its tests skip with the reason its workers gave; every other class must boot, and a
// failure to do so fails its tests instead. Known at run time, so the class lights up once it boots.
const APP_PATHS = [...APPS.map((app) => app.path), ...FRAMEWORKS.map(frameworkApp)];
for (const spec of CLASSES) for (const app of APP_PATHS) void pool.get(spec, app);
const unavailable = new Map(CLASSES.map((spec) => [spec.kind, spec.kind === 'thread' ? whyNotServing(spec, pool) : null]));

/** A test of class `spec`: skipped with the reason when the class does not boot in this build. */
function classTest(spec: ClassSpec, name: string, options: { todo?: string }, body: () => Promise<void>): void {
  test(name, options, async (t) => {
    const why = await unavailable.get(spec.kind);
    if (why) return t.skip(why);
    await body();
  });
}

function appSuite(spec: ClassSpec, app: { name: AppName; path: string }): void {
  describe(`${app.name} app`, { concurrency: false }, () => {
    for (const c of CASES) {
      if (c.apps && !c.apps.includes(app.name)) continue;
      const todo = c.todo?.({ spec, app: app.name });
      classTest(spec, c.name, { todo }, async () => c.run({ server: await pool.get(spec, app.path), spec, app: app.name }));
    }
  });
}

function gracefulStopTest(spec: ClassSpec): void {
  classTest(spec, 'SIGTERM with a request in flight: the request completes with 200, the master exits 0', {}, async () => {
    const server = await startServer(spec, NODE_APP);
    const conn = await RawConnection.open(server.port);
    try {
      const mark = server.corral.output.length;
      conn.write('GET /sleep?ms=1000 HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await server.corral.waitFor(/\[conformance\] \d+ sleeping 1000 ms/, 5000, mark);
      server.corral.signal('SIGTERM');
      const reply = await conn.readResponse(5000);
      assert.equal(reply.status, 200);
      assert.ok(server.bootPids.includes(Number(reply.body)), `answered by a boot worker, got ${reply.body}`);
      const exit = await server.corral.waitExit(10_000);
      assert.deepEqual(exit, { code: 0, signal: null }, server.corral.output);
    } finally {
      conn.destroy();
      await server.stop();
    }
  });
}

function frameworkSuite(spec: ClassSpec, name: (typeof FRAMEWORKS)[number]): void {
  describe(`${name} app`, { concurrency: false }, () => {
    for (const c of FRAMEWORK_CASES) classTest(spec, c.name, {}, async () => c.run(await pool.get(spec, frameworkApp(name))));
  });
}

describe('worker class conformance', { concurrency: true }, () => {
  for (const spec of CLASSES) {
    describe(`-k ${spec.kind} (${spec.args.join(' ')})`, { concurrency: true }, () => {
      for (const app of APPS) appSuite(spec, app);
      gracefulStopTest(spec);
      for (const name of FRAMEWORKS) frameworkSuite(spec, name);
    });
  }
});
