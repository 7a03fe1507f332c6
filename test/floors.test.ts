// The floors the harness sets beside the engines: each does its work, and the
// insert floor replays add_model's ids so that every insert evicts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relate } from '../bench/analysis.js';
import { ENGINE_FLOORS, FLOOR_BATCH, FLOOR_BENCHMARK, floorRoutine } from '../bench/floors.js';
import type { Cell } from '../bench/summary.js';

// The call floors load the built engines; test/cli.test.ts runs them through the harness.
test('the Map floors run and report work done; every floor belongs to a benchmark', () => {
  for (const name of ['floor:map-get', 'floor:map-churn']) assert.ok(floorRoutine(name).run() > 0, name);
  assert.deepEqual(new Set(Object.values(FLOOR_BENCHMARK)), new Set(Object.keys(ENGINE_FLOORS)));
  assert.throws(() => floorRoutine('floor:nothing'), /unknown floor/);
});

test('floor:map-churn inserts an absent id and deletes the oldest on every operation, batch after batch', () => {
  for (const entries of [100, 5000]) {
    const routine = floorRoutine('floor:map-churn', entries);
    for (let batch = 0; batch < 5; batch++)
      assert.equal(routine.run(), FLOOR_BATCH, `${entries} entries, batch ${batch}`);
  }
});

test("an engine's floor is the sum of its benchmark's floor cells", () => {
  const cell = (subject: string, kind: Cell['kind'], ns: number) =>
    ({ subject, kind, perUnit: { point: ns, lower: ns, upper: ns } }) as Cell;
  const cells = [
    cell('native', 'engine', 150),
    cell('ts', 'engine', 100),
    cell('floor:map-churn', 'floor', 50),
    cell('mnemonist-map', 'peer', 75),
  ];
  relate(cells, { unit: 'op', highNs: 1000, source: 'test' }, new Set(['mnemonist-map']), ENGINE_FLOORS.add_model);
  assert.deepEqual(cells[0].floor, { subject: 'floor:map-churn', ns: 50, ratio: 3 });
  assert.deepEqual(cells[1].bestPeer, { subject: 'mnemonist-map', ns: 75, ratio: 100 / 75 });
});
