// The floors the harness sets beside the engines: each does its work, and the
// insert floor replays add_model's ids so that every insert evicts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relate } from '../bench/analysis.js';
import { ENGINE_FLOORS, FLOOR_BATCH, floorRoutine, floorsOf } from '../bench/floors.js';
import type { Cell } from '../bench/summary.js';

test('the floors run and report work done; each benchmark has its own', () => {
  for (const name of ['floor:map-get', 'floor:map-get-zipf', 'floor:map-churn'])
    assert.ok(floorRoutine(name).run() > 0, name);
  for (const benchmark of Object.keys(ENGINE_FLOORS))
    for (const floor of floorsOf(benchmark)) assert.ok(floorRoutine(floor).run() > 0, `${benchmark}: ${floor}`);
  assert.deepEqual(floorsOf('get_model_hit'), ['floor:map-get', 'floor:napi-call', 'floor:wasm-call']);
  assert.deepEqual(floorsOf('remove_model'), []);
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

test("auto's cell carries its ratio to the fastest engine of the same benchmark", () => {
  const cell = (subject: string, kind: Cell['kind'], ns: number) =>
    ({ subject, kind, perUnit: { point: ns, lower: ns, upper: ns } }) as Cell;
  const cells = [cell('native', 'engine', 40), cell('ts', 'engine', 30), cell('auto', 'engine', 33)];
  relate(cells, { unit: 'op', highNs: 100, source: 'test' }, new Set(), ENGINE_FLOORS.get_model_hit);
  assert.deepEqual(cells[2].fastestEngine, { subject: 'ts', ns: 30, ratio: 1.1 });
  assert.equal(cells[1].fastestEngine, undefined, 'only auto is related to the engines');
});
