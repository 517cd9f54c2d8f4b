// Reading a blocked app thread's stack through the inspector: however the read ends (answered, given up at its deadline, the thread in native code), the thread runs on and can be terminated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureThreadStack } from '../../src/worker/thread/thread-stack.ts';

interface Beating {
  worker: Worker;
  beats: () => number;
  sinceBeat: () => number;
}

/** A real worker thread running `body`, and when it last posted a beat; resolves at its first beat. */
async function beatingThread(body: string): Promise<Beating> {
  const worker = new Worker(`const { parentPort } = require('node:worker_threads');\n${body}`, { eval: true });
  let count = 0;
  let last = Date.now();
  worker.on('message', () => {
    count++;
    last = Date.now();
  });
  // A loaded machine can take a while to start a thread; reads are of running threads.
  const started = Date.now();
  while (count === 0) {
    if (Date.now() - started > 20_000) {
      await worker.terminate();
      throw new Error('the thread did not start within 20 s');
    }
    await sleep(20);
  }
  return { worker, beats: () => count, sinceBeat: () => Date.now() - last };
}

/** Terminates the thread, failing the test if that hangs (a thread paused in the debugger never exits). */
async function terminate(worker: Worker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the thread did not terminate within 5 s: it is paused in the debugger')), 5000);
  });
  try {
    await Promise.race([worker.terminate(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

test('reads given up at every point of the exchange (deadlines of 1-40 ms) never leave the thread paused', async () => {
  // Blocked 30 ms at a time, beating after each block.
  const t = await beatingThread(`
    const spin = (ms) => { const until = Date.now() + ms; while (Date.now() < until); };
    setInterval(() => { spin(30); parentPort.postMessage(0); }, 5);`);
  try {
    let answered = 0;
    for (let i = 0; i < 600; i++) {
      try {
        await captureThreadStack(t.worker.threadId, 1 + (i % 40));
        answered++;
      } catch {
        // given up (the deadline), or an earlier read still attached: both are expected here
      }
      await sleep(5);
      assert.ok(t.sinceBeat() < 5000, `the thread stopped after read ${i} (deadline ${1 + (i % 40)} ms)`);
    }
    assert.ok(answered > 0, 'some reads were answered');
    const beats = t.beats();
    await sleep(1500);
    assert.ok(t.beats() > beats, 'the thread still runs once the reads are over');
  } finally {
    await terminate(t.worker);
  }
});

test('a read that comes while the thread is in native code gives up, and the thread runs on when it returns', async () => {
  // Every 15th beat the thread sits 2.5 s in a synchronous child process (native code: no pause can
  // take effect there, not even the inspector's own messages are answered).
  const t = await beatingThread(`
    let n = 0;
    setInterval(() => { parentPort.postMessage(0); if (++n % 15 === 0) require('node:child_process').execSync('sleep 2.5'); }, 20);`);
  try {
    const outcomes: string[] = [];
    for (let round = 0; round < 2; round++) {
      const deadline = Date.now() + 10_000;
      while (t.sinceBeat() < 300) {
        assert.ok(Date.now() < deadline, 'the thread never blocked');
        await sleep(20);
      }
      for (let k = 0; k < 3; k++) {
        outcomes.push(await captureThreadStack(t.worker.threadId, 1000).then(() => 'read', (err: Error) => err.message));
      }
      const beats = t.beats();
      await sleep(3500);
      assert.ok(t.beats() > beats, `the thread runs on after its block (round ${round}; reads: ${outcomes.join('; ')})`);
    }
    assert.ok(outcomes.some((o) => /no answer from the thread's inspector within 1000 ms/.test(o)), `a read during the block gave up: ${outcomes.join('; ')}`);
  } finally {
    await terminate(t.worker);
  }
});

test('a read of a thread that is not running fails at once', async () => {
  await assert.rejects(captureThreadStack(999_999, 2000), /app thread 999999 is not running/);
});
