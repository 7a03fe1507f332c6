// The models benchmark group runs on every subject with a tiny sampler and
// returns results in the worker's `sample` shape, checked by its own checks.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { measureModels, MODEL_BENCHMARKS, MODEL_SUBJECTS, type ModelSample } from '../bench/models.js';

const dir = mkdtempSync(join(tmpdir(), 'caro-models-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tiny = { warmUpMs: 1, measureMs: 1, samples: 3 };

for (const subject of MODEL_SUBJECTS) {
  test(`models group on ${subject}: four results in the worker's sample shape`, async () => {
    const results = await measureModels({ subject, sampler: tiny, dir, backend: 'ts' });
    assert.deepEqual(
      results.map((r) => r.benchmark),
      MODEL_BENCHMARKS.map((b) => b.id),
    );
    for (const r of results) {
      assert.equal(r.type, 'sample');
      assert.equal(r.entries, MODEL_BENCHMARKS.find((b) => b.id === r.benchmark)!.entries);
      assert.deepEqual(r.iters.length, 3);
      assert.equal(r.times.length, 3);
      assert.ok(r.times.every((t) => t > 0));
      assert.ok(r.unitsPerBatch >= 1);
    }
    assert.equal(results.find((r) => r.benchmark === 'lru_eviction_full')!.unitsPerBatch, 5);
    assert.deepEqual(readdirSync(dir), [], 'the stores are removed afterwards');
  });
}

test('as a process it takes a JSON job and prints one JSON result per line', () => {
  const script = fileURLToPath(new URL('../bench/models.js', import.meta.url));
  const out = execFileSync(
    process.execPath,
    [script, JSON.stringify({ subject: 'store', benchmarks: ['get_model_hit'], sampler: tiny, dir })],
    { encoding: 'utf8' },
  );
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ModelSample);
  assert.deepEqual(
    lines.map((l) => [l.type, l.benchmark, l.unitsPerBatch]),
    [['sample', 'get_model_hit', 1024]],
  );
});
