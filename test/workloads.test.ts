// The benchmark workloads: ids as a user would have them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ids, modelId } from '../bench/workloads.js';

test('benchmark ids are the model ids, from the requested index on', () => {
  assert.deepEqual(ids(3, 5), [modelId(5), modelId(6), modelId(7)]);
  assert.equal(ids(0).length, 0);
});
