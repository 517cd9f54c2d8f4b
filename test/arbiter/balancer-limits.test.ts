// The balancer's arithmetic: who is over the mean, by how much, and never every worker limited at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceLimits, type Holding } from '../../src/arbiter/balancer.ts';

const held = (...open: number[]): Holding[] => open.map((o) => ({ open: o, balanceLimit: null }));

test('a worker over the mean by more than 10 % gets the mean plus 10 %; the others get no limit', () => {
  assert.deepEqual(balanceLimits(held(48, 16), 1000), [35, null]);
  assert.deepEqual(balanceLimits(held(20, 0), 1000), [11, null]);
  assert.deepEqual(balanceLimits(held(3, 0), 1000), [2, null]);
  assert.deepEqual(balanceLimits(held(30, 10, 20), 1000), [22, null, null]);
});

test('within the tolerance, or with one worker, nobody is limited', () => {
  assert.deepEqual(balanceLimits(held(35, 29), 1000), [null, null]);
  assert.deepEqual(balanceLimits(held(1, 0), 1000), [null, null]);
  assert.deepEqual(balanceLimits(held(0, 0), 1000), [null, null]);
  assert.deepEqual(balanceLimits(held(500), 1000), [null]);
});

test('a limited worker keeps its limit until it is back at the mean (no flapping at the edge)', () => {
  assert.deepEqual(balanceLimits([{ open: 34, balanceLimit: 35 }, { open: 30, balanceLimit: null }], 1000), [35, null]);
  assert.deepEqual(balanceLimits([{ open: 32, balanceLimit: 35 }, { open: 32, balanceLimit: null }], 1000), [null, null]);
});

test('no limit when no other worker has room below its capacity', () => {
  assert.deepEqual(balanceLimits(held(10, 4), 4), [null, null]);
  assert.deepEqual(balanceLimits(held(10, 4), 5), [7, null]);
});

test('while counts settle after shedding, no limit goes down and nothing new is shed', () => {
  // Shed clients are reconnecting: the total looks like 11 instead of 20.
  assert.deepEqual(balanceLimits([{ open: 11, balanceLimit: 11 }, { open: 0, balanceLimit: null }], 1000, false), [11, null]);
  assert.deepEqual(balanceLimits(held(20, 0), 1000, false), [null, null]);
  // Raising a limit or keeping one is still allowed.
  assert.deepEqual(balanceLimits([{ open: 30, balanceLimit: 22 }, { open: 10, balanceLimit: null }], 1000, false), [22, null]);
});
