// `caro-cache-bench compare` on the fixture summaries of test/fixtures/compare/:
// a native linux-x64 run and a linux-arm64 run under qemu (made from
// synthetic samples through the harness's own analysis), and bad files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { mergeRuns, parseSummary, type Run } from '../bench/merge.js';
import { renderComparison } from '../bench/report/compare.js';

const require = createRequire(import.meta.url);
const root = join(require.resolve('caro-cache/package.json'), '..');
const fixtures = join(root, 'test', 'fixtures', 'compare');
const x64 = join(fixtures, 'linux-x64.json');
const arm64 = join(fixtures, 'linux-arm64-emulated.json');
const bin = join(require.resolve('caro-cache-bench/package.json'), '..', 'dist', 'cli.js');

const compare = (...args: string[]) =>
  spawnSync(process.execPath, [bin, 'compare', ...args], { encoding: 'utf8', cwd: root });
const read = (file: string): Run => ({ file, summary: parseSummary(file, readFileSync(file, 'utf8')) });

describe('compare', () => {
  const out = mkdtempSync(join(tmpdir(), 'caro-compare-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  test('merges the runs into one table per benchmark: a column per run, engines first, floor ratios kept', () => {
    const merged = mergeRuns([read(x64), read(arm64)]);
    assert.deepEqual(
      merged.runs.map((r) => r.name),
      ['linux-x64', 'linux-arm64'],
    );
    assert.deepEqual(
      merged.benchmarks.map((b) => b.id),
      ['get_model_hit', 'lru_eviction_full'],
    );
    const hit = merged.benchmarks[0]!;
    assert.deepEqual(
      hit.rows.map((r) => r.subject),
      ['native', 'wasm', 'ts', 'lru-cache', 'mnemonist', 'floor:map-get', 'floor:napi-call', 'floor:wasm-call'],
    );
    const native = hit.rows[0]!.figures;
    const cellOf = (run: Run) => run.summary.benchmarks[0]!.cells.find((c) => c.subject === 'native')!;
    assert.equal(native[0]!.perUnit.point, cellOf(read(x64)).perUnit.point);
    assert.equal(native[1]!.floorRatio, cellOf(read(arm64)).floor!.ratio);
    // Each run's ratio is to its own floor: arm64's time is 9x, its ratio about the same.
    assert.ok(native[1]!.perUnit.point > 5 * native[0]!.perUnit.point);
    assert.ok(Math.abs(native[1]!.floorRatio! / native[0]!.floorRatio! - 1) < 0.1);
    // No floor on this benchmark: times only.
    assert.equal(merged.benchmarks[1]!.rows[0]!.figures[0]!.floorRatio, undefined);
  });

  test('a subject one run lacks is a gap in its column; runs of one platform are numbered', () => {
    const partial = read(x64);
    partial.summary.benchmarks[0]!.cells = partial.summary.benchmarks[0]!.cells.filter((c) => c.subject !== 'wasm');
    const merged = mergeRuns([read(x64), partial]);
    assert.deepEqual(
      merged.runs.map((r) => r.name),
      ['linux-x64 #1', 'linux-x64 #2'],
    );
    const wasm = merged.benchmarks[0]!.rows.find((r) => r.subject === 'wasm')!;
    assert.ok(wasm.figures[0] !== undefined);
    assert.equal(wasm.figures[1], undefined);
  });

  test('prints one table, labels host, CPU, Node and emulation, and writes one self-contained page', () => {
    const run = compare(x64, arm64, '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /linux-x64: Intel\(R\) Xeon\(R\) Processor, 2 cores, Node v22\.23\.3, linux\/x64, native/);
    assert.match(run.stdout, /linux-arm64: .*linux\/arm64, EMULATED: times not comparable/);
    assert.match(run.stdout, /subject +linux-x64 +× floor +linux-arm64 \(emulated\) +× floor/);
    assert.match(run.stdout, /^ {2}native +31\.0 ns +1\.48× +279 ns +1\.45×$/m);
    const page = join(out, 'index.html');
    assert.match(run.stdout, new RegExp(`report \\(compare\\): ${page.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}`));
    const html = readFileSync(page, 'utf8');
    assert.doesNotMatch(html, /<script|<link|src=|https?:/);
    assert.equal((html.match(/<table/g) ?? []).length, 3, 'the runs and one table per benchmark');
    assert.match(html, /linux-arm64 <span class="badge missed">emulated<\/span>/);
    assert.match(
      html,
      /<td class="muted"><div class="num">279 ns \[\d+, \d+\]<\/div><div><span class="num">1\.45×<\/span> floor<\/div><div>not comparable<\/div><\/td>/,
    );
    assert.match(html, /<span class="badge met">native<\/span>/);
  });

  test('the page escapes what the summaries say', () => {
    const hostile = read(x64);
    hostile.summary.environment.cpu = '<img onerror=alert(1)>';
    hostile.summary.benchmarks[0]!.cells[0]!.subject = '<script>x</script>';
    const html = renderComparison(mergeRuns([hostile]));
    assert.ok(!html.includes('<img') && !html.includes('<script>'));
    assert.ok(html.includes('&lt;img onerror=alert(1)&gt;') && html.includes('&lt;script&gt;x&lt;/script&gt;'));
  });

  test('a bad file is one error naming it, and exit 1, before anything is printed', () => {
    const instructions = join(out, 'instructions.json');
    writeFileSync(instructions, JSON.stringify({ version: 1, measure: 'instructions', environment: {}, results: [] }));
    const badCell = join(out, 'bad-cell.json');
    const summary = JSON.parse(readFileSync(x64, 'utf8')) as { benchmarks: { cells: { perUnit: unknown }[] }[] };
    summary.benchmarks[1]!.cells[2]!.perUnit = { point: 'fast', lower: 1, upper: 2 };
    writeFileSync(badCell, JSON.stringify(summary));
    const missing = join(out, 'no-such.json');
    for (const [file, reason] of [
      [join(fixtures, 'truncated.json'), /: not JSON \(/],
      [join(fixtures, 'not-a-summary.json'), /: not a caro-cache-bench summary: it has no environment and benchmarks$/],
      [join(fixtures, 'version-2.json'), /: summary version 2; this harness reads version 1$/],
      [instructions, /: an instruction-count summary \(--measure instructions\); compare reads time summaries$/],
      [badCell, /: not a caro-cache-bench summary: benchmarks\[1\]\.cells\[2\]\.perUnit\.point is not a number$/],
      [missing, /: cannot be read: no such file$/],
      [fixtures, /: cannot be read: a directory, not a file$/],
    ] as const) {
      const run = compare(x64, file, '--out', join(out, 'not-written'));
      assert.equal(run.status, 1, file);
      assert.equal(run.stdout, '', file);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0]!.startsWith(`caro-cache-bench: ${file}: `), lines[0]);
      assert.match(lines[0]!, reason);
    }
    assert.ok(!existsSync(join(out, 'not-written')), 'no page is written');
  });

  test('no file, or an unknown flag, is a usage error; --help says what compare does', () => {
    const none = compare();
    assert.equal(none.status, 1);
    assert.match(none.stderr, /^caro-cache-bench: compare needs one summary\.json or more\n$/);
    const flag = compare('--frob', x64);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /'--frob'.*compare --help/);
    const help = compare('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: caro-cache-bench compare <summary\.json>\.\.\./);
  });
});
