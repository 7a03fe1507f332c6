// The benchmark workloads: ids as a user would have them, the orders they ask in,
// and which processes run them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enginesFor, roundCells } from '../bench/run.js';
import { engineSubject, peerSubject } from '../bench/subjects.js';
import { BENCHMARKS, ids, lookupOrder, modelId, zipfOrder } from '../bench/workloads.js';

test('benchmark ids are the model ids, from the requested index on', () => {
  assert.deepEqual(ids(3, 5), [modelId(5), modelId(6), modelId(7)]);
  assert.equal(ids(0).length, 0);
});

test("mnemonist's two exact classes build and pass every workload's checks", () => {
  for (const name of ['mnemonist-map', 'mnemonist-cache']) {
    const subject = peerSubject(name);
    for (const benchmark of BENCHMARKS.filter((b) => !b.needsByteLimit || subject.byteLimit)) {
      const cell = benchmark.build(subject, 100);
      let sink = 0;
      for (let i = 0; i < 3; i++) {
        cell.routine.setup?.();
        sink += cell.routine.run();
      }
      cell.verify(sink);
    }
  }
});

test('the Zipf order is skewed as s = 1 says, over every index, and the same for every subject', () => {
  const range = 1000;
  const order = zipfOrder(100_000, range);
  assert.deepEqual(order, zipfOrder(100_000, range), 'a fixed sequence');
  assert.ok(order.every((i) => Number.isInteger(i) && i >= 0 && i < range));
  const counts = new Map<number, number>();
  for (const i of order) counts.set(i, (counts.get(i) ?? 0) + 1);
  const ranked = [...counts.values()].sort((a, b) => b - a);
  // Rank 1 takes 1/H(1000) = 13.4% of the lookups, rank 2 half of that; the top tenth about 69%.
  assert.ok(Math.abs(ranked[0] / order.length - 0.134) < 0.01, `top share ${ranked[0] / order.length}`);
  assert.ok(Math.abs(ranked[1] / ranked[0] - 0.5) < 0.06, `second over first ${ranked[1] / ranked[0]}`);
  const top = ranked.slice(0, 100).reduce((a, b) => a + b, 0) / order.length;
  assert.ok(Math.abs(top - 0.69) < 0.02, `top tenth ${top}`);
  const popular = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([i]) => i);
  assert.notDeepEqual(
    popular.sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'ranks are shuffled over the indexes',
  );
  // The scattered order, by contrast, gives no index more than a few times its share.
  const flat = new Map<number, number>();
  for (const i of lookupOrder(100_000, range)) flat.set(i, (flat.get(i) ?? 0) + 1);
  assert.ok(Math.max(...flat.values()) < 200);
});

test("every hit benchmark hits on every engine subject, 'auto' included", () => {
  for (const name of ['ts', 'auto'] as const) {
    const subject = engineSubject(name);
    for (const benchmark of BENCHMARKS.filter((b) => b.id.startsWith('get_model_hit'))) {
      const cell = benchmark.build(subject, 100);
      cell.verify(cell.routine.run());
    }
  }
});

test("a benchmark the --against version lacks runs on this version's engines, the other's skipped once each", () => {
  const against = { label: 'v1', worker: '/old/worker.js', benchmarks: new Set(['get_model_hit']) };
  const engines = [1, 2].flatMap((seed) => [
    { name: 'ts', hashSeed: seed },
    { name: 'ts@v1', script: against.worker, hashSeed: seed },
  ]);
  assert.deepEqual(enginesFor('get_model_hit', engines, against), engines);
  assert.deepEqual(enginesFor('get_model_hit_zipf', engines, undefined), engines);
  assert.deepEqual(enginesFor('get_model_hit_zipf', engines, against), [
    { name: 'ts', hashSeed: 1 },
    { name: 'ts', hashSeed: 2 },
    { name: 'ts@v1', script: against.worker, hashSeed: 2, absent: 'v1 has no benchmark get_model_hit_zipf' },
  ]);
});

test('a gate round samples the undecided engines again, with their twins or with the controls at their size', () => {
  const undecided = [{ benchmark: 'add_model', subject: 'ts', entries: 1000 }];
  const cell = (name: string, kind: 'engine' | 'peer' | 'floor', entries = 1000) => ({ name, kind, entries });
  const paired = roundCells(undecided, 'main');
  assert.ok(paired('add_model', cell('ts', 'engine')));
  assert.ok(paired('add_model', cell('ts@main', 'engine')));
  assert.ok(!paired('add_model', cell('wasm', 'engine')), 'a decided engine');
  assert.ok(!paired('add_model', cell('mnemonist-map', 'peer')), 'no control: each pair judges itself');
  assert.ok(!paired('add_model', cell('ts', 'engine', 100)), 'another size');
  assert.ok(!paired('remove_model', cell('ts', 'engine')), 'another benchmark');
  const netOfControls = roundCells(undecided, undefined);
  assert.ok(netOfControls('add_model', cell('ts', 'engine')));
  assert.ok(netOfControls('add_model', cell('mnemonist-map', 'peer')));
  assert.ok(netOfControls('add_model', cell('floor:map-churn', 'floor')));
  assert.ok(!netOfControls('add_model', cell('wasm', 'engine')), 'a decided engine');
  assert.ok(!netOfControls('add_model', cell('mnemonist-map', 'peer', 100)), 'a control at another size');
  assert.ok(!netOfControls('remove_model', cell('mnemonist-map', 'peer')), 'a control of another benchmark');
});
