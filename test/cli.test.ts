import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Summary } from '../bench/summary.js';

const root = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');
const bin = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin['caro-cache']);

function caroCache(...args: string[]) {
  const { status, stdout, stderr } = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status, stdout, stderr };
}

describe('the caro-cache command line', () => {
  test('--help lists the commands; no command is a usage error', () => {
    const help = caroCache('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /bench/);
    assert.equal(caroCache().status, 2);
  });

  test('an unknown command or a bad option is one line on stderr and a non-zero exit', () => {
    for (const args of [['frob'], ['bench', '--backend', 'gpu'], ['bench', '--group', 'disk'], ['bench', 'no-such-benchmark']]) {
      const { status, stderr } = caroCache(...args);
      assert.equal(status, 1, args.join(' '));
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, /^caro-cache: /);
    }
  });

  describe('bench', () => {
    const out = mkdtempSync(join(tmpdir(), 'caro-bench-'));
    after(() => rmSync(out, { recursive: true, force: true }));
    const cache = join(out, 'cache');

    test('writes criterion files, the summary and the report, with floors and peers beside the engine', () => {
      const run = caroCache('bench', 'get_model_hit', '--group', 'cache', '--backend', 'ts', '--quick', '--out', out);
      assert.equal(run.status, 0, run.stderr);
      const summary = JSON.parse(readFileSync(join(cache, 'summary.json'), 'utf8')) as Summary;
      const [hit] = summary.benchmarks;
      assert.equal(hit.id, 'get_model_hit');
      const subjects = hit.cells.map((c) => c.subject);
      for (const subject of ['ts', 'floor:map-get', 'floor:napi-call', 'floor:wasm-call', 'lru-cache', 'mnemonist']) assert.ok(subjects.includes(subject), subject);
      const ts = hit.cells.find((c) => c.subject === 'ts')!;
      assert.ok(ts.floor !== undefined && ts.bestPeer !== undefined && ts.targetMet !== undefined);
      // The engine and the Map floor beneath it, at each size of the quick series.
      assert.deepEqual(
        summary.scale.map((s) => [s.subject, s.points.map((p) => p.entries)]),
        [
          ['ts', [100, 10_000]],
          ['floor:map-get', [100, 10_000]],
        ],
      );
      for (const file of ['new/estimates.json', 'new/sample.json', 'base/sample.json']) {
        assert.ok(existsSync(join(cache, 'get_model_hit', 'ts', file)), file);
      }
      assert.ok(existsSync(join(cache, 'report', 'index.html')));
      assert.equal(summary.baseline, undefined);
    });

    test('a second run compares against the first', () => {
      const run = caroCache('bench', 'get_model_hit', '--group', 'cache', '--backend', 'ts', '--quick', '--out', out);
      assert.equal(run.status, 0, run.stderr);
      const summary = JSON.parse(readFileSync(join(cache, 'summary.json'), 'utf8')) as Summary;
      assert.equal(summary.baseline, 'base');
      assert.ok(summary.benchmarks[0].cells.every((c) => c.change !== undefined));
      assert.ok(existsSync(join(cache, 'get_model_hit', 'ts', 'change', 'estimates.json')));
      assert.match(readFileSync(join(cache, 'report', 'index.html'), 'utf8'), /Change since/i);
    });

    test('the models group measures the store beside the JSON manifests, in its own directory', () => {
      const run = caroCache('bench', 'remove_model', '--group', 'models', '--backend', 'ts', '--quick', '--out', out);
      assert.equal(run.status, 0, run.stderr);
      const summary = JSON.parse(readFileSync(join(out, 'models', 'summary.json'), 'utf8')) as Summary;
      assert.deepEqual(summary.benchmarks.map((b) => b.id), ['remove_model']);
      const cells = summary.benchmarks[0].cells;
      assert.deepEqual(cells.map((c) => c.subject).sort(), ['json-manifest', 'json-manifest-fsync', 'store']);
      const store = cells.find((c) => c.subject === 'store')!;
      assert.equal(store.kind, 'engine');
      assert.ok(store.bestPeer !== undefined && store.bestPeer.subject.startsWith('json-manifest'));
      assert.ok(existsSync(join(out, 'models', 'remove_model', 'store', 'new', 'estimates.json')));
      assert.ok(existsSync(join(out, 'models', 'report', 'index.html')));
      assert.match(run.stdout, /== models: /);
    });

    test('a named baseline that does not exist is refused before measuring', () => {
      const { status, stderr } = caroCache('bench', '--baseline', 'nope', '--out', out);
      assert.equal(status, 1);
      assert.match(stderr, /baseline "nope" does not exist/);
    });
  });
});
