import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse, change, regressions, type RawSample } from '../bench/analysis.js';
import { sample } from '../bench/sampler.js';

// Real measurements of a real routine: a gross, injected 2x slowdown must trip
// the gate, and two runs of the same routine must not.
const sampler = { warmUpMs: 50, measureMs: 300, samples: 30 };
const data = Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 0);

function work(rounds: number): () => number {
  return () => {
    let acc = 0;
    for (let r = 0; r < rounds; r++) for (let i = 0; i < data.length; i++) acc = (acc + (data[i] ^ r)) | 0;
    return acc | 1;
  };
}

function measure(rounds: number): RawSample {
  const { iters, times } = sample({ run: work(rounds) }, sampler);
  return { subject: 'ts', kind: 'engine', benchmark: 'gate', entries: 1, unitsPerBatch: data.length, iters, times };
}

function gate(base: RawSample, next: RawSample): number {
  const { cell } = analyse(next, 2000);
  cell.change = { ...change(base, next, 2000), baseline: 'base' };
  return regressions([cell], 15).length;
}

test('the regression gate flags an injected 2x slowdown', () => {
  assert.equal(gate(measure(4), measure(8)), 1);
});

test('the regression gate passes two identical runs', () => {
  assert.equal(gate(measure(4), measure(4)), 0);
});
