import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse, perUnit, regressions, type RawSample } from '../bench/analysis.js';
import { sample } from '../bench/sampler.js';
import { compare } from '../bench/stats.js';

// Real measurements of a real routine: a gross, injected 2x slowdown must trip
// the gate, and two runs of the same routine must not.
const sampler = { warmUpMs: 10, measureMs: 40, samples: 5 };
const data = Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 0);

function work(rounds: number): () => number {
  return () => {
    let acc = 0;
    for (let r = 0; r < rounds; r++) for (let i = 0; i < data.length; i++) acc = (acc + (data[i] ^ r)) | 0;
    return acc | 1;
  };
}

/**
 * Two runs measured in alternation, a little of each at a time, so that noise
 * from the rest of the machine falls on both alike.
 */
function measurePair(baseRounds: number, nextRounds: number): [RawSample, RawSample] {
  const raw = (): RawSample => ({
    subject: 'ts',
    kind: 'engine',
    benchmark: 'gate',
    entries: 1,
    unitsPerBatch: data.length,
    iters: [],
    times: [],
  });
  const pair: [RawSample, RawSample] = [raw(), raw()];
  const routines = [{ run: work(baseRounds) }, { run: work(nextRounds) }];
  for (const routine of routines) sample(routine, { warmUpMs: 200, measureMs: 1, samples: 1 });
  for (let turn = 0; turn < 12; turn++) {
    routines.forEach((routine, i) => {
      const { iters, times } = sample(routine, sampler);
      pair[i].iters.push(...iters);
      pair[i].times.push(...times);
    });
  }
  return pair;
}

function gate(base: RawSample, next: RawSample): number {
  const { cell } = analyse(next, 2000);
  cell.change = { ...compare(perUnit(base), perUnit(next), { resamples: 2000 }), baseline: 'base' };
  return regressions([cell], 15).length;
}

test('the regression gate flags an injected 2x slowdown', () => {
  assert.equal(gate(...measurePair(4, 8)), 1);
});

test('the regression gate passes two identical runs', () => {
  assert.equal(gate(...measurePair(4, 4)), 0);
});
