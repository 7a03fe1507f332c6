import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../bench/report.js';
import { compare, estimates } from '../bench/stats/index.js';
import type { Cell, SubjectKind, Summary } from '../bench/summary.js';

const RESAMPLES = 200;

/** A fixed, slightly skewed sample around `base` ns. */
function samplesAround(base: number, n = 16): number[] {
  return Array.from({ length: n }, (_, i) => base * (1 + 0.04 * Math.sin(i * 1.7) + 0.01 * (i % 5)));
}

function makeCell(subject: string, kind: SubjectKind, base: number, extra: Partial<Cell> = {}): Cell {
  const samples = samplesAround(base);
  const est = estimates(samples, { resamples: RESAMPLES });
  const ci = est.mean.confidence_interval;
  return {
    subject,
    kind,
    entries: 10_000,
    perUnit: { point: est.mean.point_estimate, lower: ci.lower_bound, upper: ci.upper_bound },
    samples,
    estimates: est,
    outliers: { lowSevere: 0, lowMild: 1, highMild: 0, highSevere: 2 },
    ...extra,
  };
}

function withChange(cell: Cell, baseNs: number): Cell {
  const c = compare(samplesAround(baseNs), cell.samples, { resamples: RESAMPLES });
  return { ...cell, change: { ...c, baseline: 'v0.0.9' } };
}

function engine(subject: string, base: number, targetHighNs: number, peerNs: number, floorNs: number): Cell {
  return makeCell(subject, 'engine', base, {
    floor: { subject: 'floor:map-get', ns: floorNs, ratio: base / floorNs },
    bestPeer: { subject: 'lru-cache', ns: peerNs, ratio: base / peerNs },
    targetMet: base <= targetHighNs,
  });
}

function fakeSummary(): Summary {
  const getHit = {
    id: 'get-hit',
    description: 'get() of a present key',
    target: { unit: 'op', highNs: 60, source: 'docs/targets.md' },
    cells: [
      // Fixed intervals here, to check the number formatting exactly.
      { ...engine('native', 40, 60, 90, 20), perUnit: { point: 40.25, lower: 39.5, upper: 41.04 } },
      withChange(engine('wasm', 55, 60, 90, 20), 80),
      withChange(engine('ts', 70, 60, 90, 20), 50),
      { ...makeCell('lru-cache', 'peer', 90), perUnit: { point: 1234.5, lower: 1200, upper: 1270 } },
      makeCell('floor:map-get', 'floor', 20),
    ],
    skipped: [],
  };
  const evict = {
    id: 'evict-oversize',
    description: 'set() that evicts entries to make room',
    target: { unit: 'evicted entry', lowNs: 100, highNs: 400, source: 'issue #12' },
    cells: [
      engine('native', 150, 400, 500, 80),
      engine('wasm', 220, 400, 500, 80),
      engine('ts', 450, 400, 500, 80),
      makeCell('floor:map-get', 'floor', 80),
    ],
    skipped: [{ subject: 'lru-cache', reason: 'no size-aware eviction' }],
  };
  const scalePoints = (base: number) =>
    [100, 10_000, 1_000_000].map((entries, i) => ({
      entries,
      perUnit: { point: base * (1 + i), lower: base * (1 + i) * 0.95, upper: base * (1 + i) * 1.05 },
    }));
  return {
    version: 1,
    environment: {
      cpu: 'Fake CPU 9000 @ 4.20GHz',
      cores: 8,
      memoryBytes: 16 * 1024 ** 3,
      node: 'v20.99.1',
      v8: '11.3.244.8-node.99',
      platform: 'linux',
      arch: 'x64',
      engines: {
        native: 'build/Release/caro.node, source sha256 abc123',
        wasm: 'build/caro.wasm, 18 KiB',
        ts: 'dist/ts-engine.js',
      },
      quick: true,
      placement: 'every benchmark process on CPU 3 (taskset)',
      date: '2025-01-02T03:04:05.000Z',
      version: '9.8.7',
      commit: 'c0ffee1234+',
      against: 'origin/main at abc1234def',
      load: { start: 0.25, end: 1.5 },
      controlsDrift: 1.31,
      noiseThreshold: 0.02,
    },
    baseline: 'v0.0.9',
    benchmarks: [getHit, evict],
    scale: [
      { benchmark: 'get-hit', subject: 'native', points: scalePoints(40) },
      { benchmark: 'get-hit', subject: 'ts', points: scalePoints(70) },
      { benchmark: 'get-hit', subject: 'lru-cache', points: scalePoints(90) },
    ],
    memory: [
      { subject: 'native', entries: 10_000, bytesPerEntry: 96, heapBytes: 12_000, externalBytes: 948_000 },
      { subject: 'ts', entries: 10_000, bytesPerEntry: 212.5, heapBytes: 2_125_000, externalBytes: 0 },
      { subject: 'lru-cache', entries: 10_000, bytesPerEntry: 180, heapBytes: 1_800_000, externalBytes: 0 },
    ],
    skipped: [{ subject: 'quick-lru', reason: 'package not installed' }],
  };
}

/** The element (`<tag ...attr...>` up to the next `</tag>`) whose opening tag holds `attr`. */
function element(html: string, tag: string, attr: string): string {
  const at = html.indexOf(attr);
  assert.ok(at >= 0, `no element with ${attr}`);
  const open = html.lastIndexOf(`<${tag}`, at);
  assert.ok(open >= 0 && !html.slice(open, at).includes('>'), `${attr} is not on a <${tag}>`);
  const end = html.indexOf(`</${tag}>`, at);
  assert.ok(end > at, `<${tag} ${attr}> is not closed`);
  return html.slice(open, end + tag.length + 3);
}

function count(html: string, s: string): number {
  return html.split(s).length - 1;
}

test('renders a complete, balanced HTML document', () => {
  const html = renderReport(fakeSummary());
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<title>[^<]*caro-cache[^<]*<\/title>/);
  assert.ok(html.trimEnd().endsWith('</html>'));
  for (const tag of ['html', 'head', 'body', 'main', 'section', 'table', 'svg', 'figure', 'style']) {
    assert.equal(count(html, `<${tag}>`) + count(html, `<${tag} `), count(html, `</${tag}>`), `unbalanced <${tag}>`);
  }
  assert.equal(count(html, '<head>'), 1);
  assert.equal(count(html, '<body>'), 1);
});

test('is self-contained: nothing fetched, no scripts', () => {
  const html = renderReport(fakeSummary());
  for (const bad of ['http://', 'https://', '<link', 'src=', '<script', '@import', 'url(', '<img', '<iframe']) {
    assert.ok(!html.includes(bad), `output contains ${bad}`);
  }
});

test('is deterministic', () => {
  assert.equal(renderReport(fakeSummary()), renderReport(fakeSummary()));
});

test('shows the environment, every subject and every benchmark', () => {
  const html = renderReport(fakeSummary());
  const env = [
    'Fake CPU 9000 @ 4.20GHz',
    'CPU 3 (taskset)',
    'v20.99.1',
    '11.3.244.8-node.99',
    'linux/x64',
    '16.0 GiB',
    'source sha256 abc123',
    '18 KiB',
    '9.8.7, commit <code>c0ffee1234+</code>',
    'origin/main at abc1234def',
    '0.25 at the start, 1.50 at the end',
    'moved ×1.31</span> the machine changed speed during the run',
  ];
  for (const s of env) {
    assert.ok(html.includes(s), `missing environment item ${s}`);
  }
  const subjects = ['native', 'wasm', 'ts', 'lru-cache', 'floor:map-get', 'quick-lru'];
  for (const s of [...subjects, 'package not installed', 'no size-aware eviction']) {
    assert.ok(html.includes(s), `missing ${s}`);
  }
  for (const id of ['get-hit', 'evict-oversize'])
    assert.ok(html.includes(`data-benchmark="${id}"`), `missing benchmark ${id}`);
  assert.ok(html.includes('2025-01-02T03:04:05.000Z'));
});

test('the sections come in order', () => {
  const html = renderReport(fakeSummary());
  const ids = ['environment', 'summary', 'benchmarks', 'changes', 'scale', 'memory', 'skipped'];
  const at = ids.map((id) => html.indexOf(`<section id="${id}"`));
  for (const i of at) assert.ok(i > 0, 'a section is missing');
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
  );
});

test('the summary table shows estimates, verdicts, ratios and changes', () => {
  const html = renderReport(fakeSummary());
  const summary = element(html, 'section', 'id="summary"');
  const columns = ['Benchmark', 'native', 'wasm', 'ts', 'best peer'].map((c) => `<th scope="col">${c}</th>`).join('');
  assert.ok(summary.includes(`<thead><tr>${columns}</tr></thead>`), 'columns: engines then best peer');
  assert.ok(summary.includes('40.3 ns [39.5, 41.0]'), 'native estimate');
  assert.ok(summary.includes('1.23 µs [1.20, 1.27]'), 'peer estimate in µs');
  assert.ok(summary.includes('≤ 60 ns per op'), 'target in row header');
  assert.ok(summary.includes('100 ns–400 ns per evicted entry'), 'target range in row header');
  // native and wasm meet the target on both benchmarks, ts misses both; styled by class
  assert.equal(count(summary, '<span class="badge met">target met</span>'), 4);
  assert.equal(count(summary, '<span class="badge missed">target missed</span>'), 2);
  assert.ok(summary.includes('2.00×</span> floor <span class="muted">(floor:map-get)'), 'floor ratio');
  assert.ok(summary.includes('best peer <span class="muted">(lru-cache)'), 'peer ratio');
  assert.match(summary, /class="v-improved">Δ <span class="num">−3\d\.\d %/, 'wasm improved by about 31 %');
  assert.match(summary, /class="v-regressed">Δ <span class="num">\+40\.\d %/, 'ts regressed by 40 %');
});

/** Every `<svg ...>` opening tag followed by its first child. */
function svgOpenings(html: string): string[] {
  return [...html.matchAll(/<svg\b[^>]*>(<[a-z]+)?/g)].map((m) => m[0]);
}

test('every SVG is accessible: role="img" and a <title> first', () => {
  const html = renderReport(fakeSummary());
  const svgs = svgOpenings(html);
  // 2 bar charts + 9 density plots + 1 scale chart + 1 memory chart
  assert.equal(svgs.length, 13);
  for (const s of svgs) {
    assert.match(s, /role="img"/);
    assert.ok(s.endsWith('<title'), `SVG without a leading <title>: ${s}`);
  }
});

test('each benchmark has a bar chart, fastest first, and a density plot per cell', () => {
  const summary = fakeSummary();
  const html = renderReport(summary);
  for (const b of summary.benchmarks) {
    const section = element(html, 'section', `data-benchmark="${b.id}"`);
    const svgs = section.split('<svg').length - 1;
    assert.equal(svgs, 1 + b.cells.length, `${b.id}: one bar chart and one density plot per cell`);
    const bars = section.slice(section.indexOf('<svg'), section.indexOf('</svg>'));
    assert.ok(bars.includes(`<title>${b.id}: `), 'bar chart titled with the benchmark');
    const fastestFirst = [...b.cells].sort((x, y) => x.perUnit.point - y.perUnit.point);
    const bySpeed = fastestFirst.map((c) => bars.indexOf(`>${c.subject}</text>`));
    for (const i of bySpeed) assert.ok(i >= 0, 'every cell has a labelled bar');
    assert.deepEqual(
      [...bySpeed].sort((x, y) => x - y),
      bySpeed,
      `${b.id}: bars not sorted fastest first`,
    );
    // One whisker (three lines) per bar, drawn in the whisker style.
    assert.equal(count(bars, 'stroke="#111827" stroke-width="1.2"'), 3 * b.cells.length);
    assert.ok(section.includes('mean '), 'density plots mark the mean');
  }
  const evict = element(html, 'section', 'data-benchmark="evict-oversize"');
  assert.match(evict, /class="note">Skipped: <strong>lru-cache<\/strong> \(no size-aware eviction\)/);
  // The peer, the floor and the engines are coloured by kind.
  const getHit = element(html, 'section', 'data-benchmark="get-hit"');
  for (const colour of ['#2563eb', '#d97706', '#6b7280'])
    assert.ok(getHit.includes(`fill="${colour}"`), `no bar in ${colour}`);
});

test('the scale chart is log-x over 10², 10⁴, 10⁶ with a line per subject', () => {
  const html = renderReport(fakeSummary());
  const scale = element(html, 'section', 'id="scale"');
  assert.equal(count(scale, '<svg'), 1);
  for (const tick of ['10²', '10³', '10⁴', '10⁵', '10⁶'])
    assert.ok(scale.includes(`>${tick}</text>`), `missing tick ${tick}`);
  assert.equal(count(scale, '<polyline'), 3);
  assert.equal(count(scale, '<circle'), 9);
  for (const s of ['native', 'ts', 'lru-cache']) assert.ok(scale.includes(`>${s}</text>`), `no legend for ${s}`);
  // log x: the three points of a line are evenly spaced
  const first = /<polyline points="([^"]+)"/
    .exec(scale)![1]!
    .split(' ')
    .map((p) => Number(p.split(',')[0]));
  assert.equal(first.length, 3);
  assert.ok(Math.abs(first[1]! - first[0]! - (first[2]! - first[1]!)) < 0.2, `x not log-spaced: ${first}`);
});

test('the memory section has a chart and a table with heap and external bytes', () => {
  const html = renderReport(fakeSummary());
  const memory = element(html, 'section', 'id="memory"');
  assert.equal(count(memory, '<svg'), 1);
  assert.match(memory, /<title>Memory/);
  for (const s of ['96 B', '213 B', '180 B', '2.03 MiB', '926 KiB', 'JS heap', 'External']) {
    assert.ok(memory.includes(s), `memory section lacks ${s}`);
  }
});

test('the change section appears only when a baseline is set', () => {
  const summary = fakeSummary();
  const html = renderReport(summary);
  const changes = element(html, 'section', 'id="changes"');
  assert.ok(changes.includes('v0.0.9'));
  assert.equal(count(changes, '<tr>'), 3); // header + wasm + ts on get-hit
  assert.match(changes, /<td class="v-improved">improved<\/td>/);
  assert.match(changes, /<td class="v-regressed">regressed<\/td>/);
  assert.match(changes, /<td class="num">[0-9.e-]+<\/td>/, 'a p-value');

  delete summary.baseline;
  const without = renderReport(summary);
  assert.ok(!without.includes('id="changes"'));
  assert.ok(!without.includes('Change since baseline'));
});

test('escapes every string from the summary', () => {
  const evil = '<script>alert(1)</script>';
  const summary = fakeSummary();
  summary.environment.cpu = `${evil} "quoted" & 'single'`;
  summary.environment.engines[evil] = evil;
  summary.baseline = evil;
  const b = summary.benchmarks[0]!;
  b.id = `id-${evil}`;
  b.description = evil;
  b.target.unit = evil;
  b.target.source = evil;
  b.cells.push(withChange(makeCell(evil, 'peer', 95), 90));
  b.skipped.push({ subject: evil, reason: evil });
  const point = { entries: 100, perUnit: { point: 1, lower: 1, upper: 1 } };
  summary.scale.push({ benchmark: 'get-hit', subject: evil, points: [point] });
  summary.memory.push({ subject: evil, entries: 10_000, bytesPerEntry: 1, heapBytes: 1, externalBytes: 0 });
  summary.skipped.push({ subject: evil, reason: evil });
  const html = renderReport(summary);
  assert.ok(!html.includes('<script'), 'raw <script> in the output');
  assert.ok(!html.includes('"quoted"'), 'raw double quotes from the summary');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39;'));
  assert.ok(count(html, '&lt;script&gt;alert(1)&lt;/script&gt;') >= 15, 'every place shows the escaped name');
});

test('renders an empty summary', () => {
  const summary = fakeSummary();
  summary.benchmarks = [];
  summary.scale = [];
  summary.memory = [];
  summary.skipped = [];
  delete summary.baseline;
  const html = renderReport(summary);
  assert.ok(html.includes('No benchmarks in this summary.'));
  assert.ok(html.includes('Every subject ran.'));
  assert.ok(!html.includes('<svg'));
});

test('a cell with too few samples still renders', () => {
  const summary = fakeSummary();
  summary.benchmarks[0]!.cells[0]!.samples = [42];
  const html = renderReport(summary);
  assert.ok(html.includes('too few samples to plot'));
});

test('the best peer column names the peer the ratios are taken against, not a faster inexact one', () => {
  const summary = fakeSummary();
  // quick-lru is faster than lru-cache here but is not an exact LRU: the engines' ratios name lru-cache.
  summary.benchmarks[0].cells.push(makeCell('quick-lru', 'peer', 5));
  const table = element(renderReport(summary), 'section', 'id="summary"');
  const row = table.slice(table.indexOf('get-hit'), table.indexOf('</tr>', table.indexOf('get-hit')));
  assert.ok(row.includes('lru-cache<div class="num">'), 'the column shows lru-cache');
  assert.ok(!row.includes('quick-lru'), 'and not quick-lru');
});

test('ratios far below 1 keep two significant digits instead of rounding to zero', () => {
  const summary = fakeSummary();
  const native = summary.benchmarks[0].cells[0];
  native.bestPeer = { subject: 'lru-cache', ns: 1e5, ratio: 0.000402 };
  const html = renderReport(summary);
  assert.ok(html.includes('0.00040×'), 'the ratio as 0.00040×');
  assert.ok(!html.includes('0.000×'), 'no ratio shown as 0.000×');
});

test('no density curve extends below zero, however close to zero the times are', () => {
  const summary = fakeSummary();
  // Times near zero with a long tail: the kernel's sweep would reach below 0 ns.
  const skewed = [0.5, 0.6, 0.5, 0.7, 0.6, 40, 0.5, 0.6, 0.55, 0.65];
  summary.benchmarks[0].cells[2] = { ...summary.benchmarks[0].cells[2], samples: skewed };
  const html = renderReport(summary);
  const at = html.indexOf('Density of ts times');
  assert.ok(at >= 0, 'the density plot of ts');
  const svg = html.slice(html.lastIndexOf('<svg', at), html.indexOf('</svg>', at));
  // The curve's leftmost point may not lie left of the axis's zero.
  const zero = /<text x="([\d.]+)"[^>]*>0<\/text>/.exec(svg);
  assert.ok(zero !== null, 'the axis starts at 0');
  const start = /<path d="M([\d.]+),/.exec(svg);
  assert.ok(start !== null, 'the density curve');
  assert.ok(Number(start[1]) >= Number(zero[1]) - 0.5, `the curve starts at x=${start[1]}, zero is at x=${zero[1]}`);
});

test('the controls row warns only when they moved by more than the noise threshold', () => {
  const summary = fakeSummary();
  summary.environment.controlsDrift = 1.01;
  const html = renderReport(summary);
  assert.ok(html.includes('steady (×1.01)'));
  assert.ok(!html.includes('changed speed during the run'));
});
