// The benchmark workloads: ids as a user would have them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { peerSubject } from '../bench/subjects.js';
import { BENCHMARKS, ids, modelId } from '../bench/workloads.js';

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
