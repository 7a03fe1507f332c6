import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse, gated, gateReading, perIteration, perUnit, type RawSample } from '../bench/analysis.js';
import { sample } from '../bench/sampler.js';
import { compare } from '../bench/stats/index.js';

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

function gate(base: RawSample, next: RawSample): string {
  const { cell } = analyse(next, 2000);
  const change = compare(perUnit(base), perUnit(next), { resamples: 2000, threshold: 0.15 });
  cell.change = { ...change, baseline: 'base', baseSamples: perIteration(perUnit(base)) };
  return gateReading(cell.change, 15);
}

test('the regression gate flags an injected 2x slowdown', () => {
  assert.equal(gate(...measurePair(4, 8)), 'regressed');
});

test('the regression gate raises no alarm on two identical runs', () => {
  // Under heavy load the interval may stay too wide to rule 15 % out (inconclusive); it must never read as a regression.
  assert.notEqual(gate(...measurePair(4, 4)), 'regressed');
});

test('the gate reads the interval: beyond the threshold, within it, or straddling it', () => {
  const change = (lower: number, upper: number, pValue = 0.001) =>
    ({
      ...compare([1, 2, 3], [1, 2, 3], { resamples: 100 }),
      mean: {
        point_estimate: (lower + upper) / 2,
        standard_error: 0,
        confidence_interval: { confidence_level: 0.95, lower_bound: lower, upper_bound: upper },
      },
      pValue,
    }) as ReturnType<typeof compare>;
  assert.equal(gateReading(change(0.2, 0.4), 15), 'regressed');
  assert.equal(gateReading(change(0.2, 0.4, 0.5), 15), 'inconclusive');
  assert.equal(gateReading(change(-0.1, 0.15), 15), 'passed');
  assert.equal(gateReading(change(-0.5, -0.2), 15), 'passed');
  assert.equal(gateReading(change(0.05, 0.5), 15), 'inconclusive');
});

test("the gate reads the project's subjects only: peers and floors are controls", () => {
  const cell = (subject: string, kind: 'engine' | 'peer' | 'floor') => ({
    ...analyse(
      { subject, kind, benchmark: 'b', entries: 100, unitsPerBatch: 1, iters: [1, 2, 3], times: [1, 2, 3] },
      100,
    ).cell,
    change: { ...compare([1, 2, 3], [1, 2, 3], { resamples: 100 }), baseline: 'base' },
  });
  const change = cell('ts', 'engine').change;
  const summary = {
    benchmarks: [{ id: 'b', cells: [cell('ts', 'engine'), cell('lru-cache', 'peer'), cell('floor:map-get', 'floor')] }],
    scale: [
      {
        benchmark: 'b',
        subject: 'ts',
        points: [
          { entries: 100, change },
          { entries: 10_000, change },
        ],
      },
      { benchmark: 'b', subject: 'floor:map-get', points: [{ entries: 10_000, change }] },
    ],
  } as unknown as Parameters<typeof gated>[0];
  assert.deepEqual(
    gated(summary).map((g) => `${g.subject}@${g.entries}`),
    ['ts@100', 'ts@10000'],
  );
});
