import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory, historyRun, readHistory, type HistoryRun } from '../bench/history.js';
import { html, raw } from '../bench/report/html.js';
import { renderReport } from '../bench/report/index.js';
import { renderInstructionsReport } from '../bench/report/instructions.js';
import type { Counted, InstructionsSummary } from '../bench/instructions.js';
import { compare, estimates } from '../bench/stats/index.js';
import type { Cell, SubjectKind, Summary } from '../bench/summary.js';

const RESAMPLES = 200;

/** A fixed, slightly skewed sample around `base` ns. */
function samplesAround(base: number, n = 16): number[] {
  return Array.from({ length: n }, (_, i) => base * (1 + 0.04 * Math.sin(i * 1.7) + 0.01 * (i % 5)));
}

function makeCell(subject: string, kind: SubjectKind, base: number, extra: Partial<Cell> = {}): Cell {
  const samples = samplesAround(base);
  // Linear sampling, as the harness does it: sample i runs 10 (i + 1) iterations.
  const iters = samples.map((_, i) => 10 * (i + 1));
  const est = estimates({ iters, times: samples.map((t, i) => t * iters[i]!) }, { resamples: RESAMPLES });
  const ci = est.mean.confidence_interval;
  return {
    subject,
    kind,
    entries: 10_000,
    perUnit: { point: est.mean.point_estimate, lower: ci.lower_bound, upper: ci.upper_bound },
    samples,
    iters,
    estimates: est,
    outliers: { lowSevere: 0, lowMild: 1, highMild: 0, highSevere: 2 },
    ...extra,
  };
}

function withChange(cell: Cell, baseNs: number): Cell {
  const baseSamples = samplesAround(baseNs);
  const c = compare(baseSamples, cell.samples, { resamples: RESAMPLES });
  return { ...cell, change: { ...c, baseline: 'v0.0.9', baseSamples } };
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
      emulated: false,
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
  const ids = ['environment', 'summary', 'benchmarks', 'changes', 'scale', 'history', 'memory', 'skipped'];
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
  const svgs = svgOpenings(renderReport(fakeSummary(), fakeHistory()));
  // 2 bar charts + 9 density plots + 9 slope plots + 2 overlays + 1 scale chart + 2 history charts + 1 memory chart
  assert.equal(svgs.length, 26);
  for (const s of svgs) {
    assert.match(s, /role="img"/);
    assert.ok(s.endsWith('<title'), `SVG without a leading <title>: ${s}`);
  }
});

test('each benchmark has a bar chart, fastest first, a density and a slope plot per cell, an overlay per change', () => {
  const summary = fakeSummary();
  const html = renderReport(summary);
  for (const b of summary.benchmarks) {
    const section = element(html, 'section', `data-benchmark="${b.id}"`);
    const svgs = section.split('<svg').length - 1;
    const changed = b.cells.filter((c) => c.change !== undefined).length;
    assert.equal(svgs, 1 + 2 * b.cells.length + changed, `${b.id}: bar chart, density and slope per cell, overlays`);
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

/** The SVGs of one kind of plot (data-plot="...") in a benchmark's section. */
function plotsOf(html: string, benchmark: string, kind: string): string[] {
  const section = element(html, 'section', `data-benchmark="${benchmark}"`);
  const grid = element(section, 'div', `data-plot="${kind}"`);
  return [...grid.matchAll(/<svg\b[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

/** The x coordinates of every polyline and polygon of an SVG. */
function curveXs(svg: string): number[] {
  return [...svg.matchAll(/<poly(?:line|gon) points="([^"]+)"/g)].flatMap((m) =>
    m[1]!.split(' ').map((p) => Number(p.split(',')[0])),
  );
}

test('no density curve extends below zero, however close to zero the times are', () => {
  const summary = fakeSummary();
  // Times near zero with a long tail: the kernel's own sweep would reach below 0 ns, for the new and the base samples.
  const skewed = [0.5, 0.6, 0.5, 0.7, 0.6, 40, 0.5, 0.6, 0.55, 0.65];
  const ts = summary.benchmarks[0].cells[2]!;
  summary.benchmarks[0].cells[2] = {
    ...ts,
    samples: skewed,
    iters: skewed.map((_, i) => i + 1),
    change: { ...ts.change!, baseSamples: skewed.map((x) => x * 0.8) },
  };
  const html = renderReport(summary);
  const plots = [...plotsOf(html, 'get-hit', 'density'), ...plotsOf(html, 'get-hit', 'change-density')];
  const ofTs = plots.filter((svg) => svg.includes('<title>Density of ts times'));
  assert.equal(ofTs.length, 2, 'the density and the overlay of ts');
  for (const svg of plots) {
    const zero = /<text x="([\d.]+)"[^>]*>0<\/text>/.exec(svg);
    if (ofTs.includes(svg)) assert.ok(zero !== null, 'the axis of a plot near 0 ns shows 0');
    if (zero === null) continue;
    const xs = curveXs(svg);
    assert.ok(xs.length > 0, 'the plot has curves');
    const left = Math.min(...xs);
    assert.ok(left >= Number(zero[1]) - 0.05, `a curve starts at x=${left}, left of 0 ns at x=${zero[1]}`);
  }
});

test('the slope plot shows every sample, the fitted line through the origin and its band', () => {
  const summary = fakeSummary();
  const html = renderReport(summary);
  for (const b of summary.benchmarks) {
    const slopes = plotsOf(html, b.id, 'slope');
    assert.equal(slopes.length, b.cells.length, `${b.id}: one slope plot per cell`);
    for (const svg of slopes) {
      const subject = /<title>Total time of each sample of (.*?) against/.exec(svg)![1]!;
      const cell = b.cells.find((c) => c.subject === subject)!;
      assert.equal(count(svg, '<circle'), cell.samples.length, `${subject}: a point per sample`);
      const band = /<polygon points="([^"]+)"/.exec(svg)![1]!.split(' ');
      const fit = /<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)" stroke="#/.exec(
        svg.slice(svg.indexOf('<polygon')),
      )!;
      // The line and the band start at the origin, the corner of the axes.
      assert.equal(band[0], `${fit[1]},${fit[2]}`, `${subject}: the band starts where the line does`);
      // At the right edge the line lies within the band.
      const [, lowY, highY] = band.map((p) => Number(p.split(',')[1]));
      assert.ok(Number(fit[4]) <= lowY! && Number(fit[4]) >= highY!, `${subject}: the line within its band`);
      const printed = Number(/>slope ([\d.]+) ns per /.exec(svg)![1]);
      const slope = cell.estimates.slope!.point_estimate;
      assert.ok(Math.abs(printed / slope - 1) < 0.01, `${subject}: slope ${printed} printed, ${slope} estimated`);
    }
  }
});

test('a cell sampled with flat iterations says why it has no slope', () => {
  const summary = fakeSummary();
  const native = summary.benchmarks[0].cells[0]!;
  summary.benchmarks[0].cells[0] = { ...native, estimates: { ...native.estimates, slope: null } };
  const plot = plotsOf(renderReport(summary), 'get-hit', 'slope').find((svg) => svg.includes('sample of native '));
  assert.match(plot!, /every sample ran the same iterations: no slope/);
});

test("a changed cell has its density over the base's: base dashed, new solid", () => {
  const summary = fakeSummary();
  const html = renderReport(summary);
  const overlays = plotsOf(html, 'get-hit', 'change-density');
  assert.equal(overlays.length, 2, 'wasm and ts changed');
  for (const svg of overlays) {
    const curves = [...svg.matchAll(/<polyline [^>]*\/>/g)].map((m) => m[0]);
    assert.equal(curves.length, 2, 'two curves');
    assert.equal(curves.filter((c) => c.includes('stroke-dasharray')).length, 1, 'one of them dashed');
    assert.match(svg, />v0\.0\.9<\/text>/, 'the base named in the legend');
  }
  // The wasm overlay: its base (80 ns) lies right of its new samples (55 ns).
  const wasm = overlays.find((svg) => svg.includes('Density of wasm'))!;
  const [dashed, solid] = [...wasm.matchAll(/<polyline points="([^"]+)"([^>]*)\/>/g)]
    .sort((a, b) => Number(b[2]!.includes('dasharray')) - Number(a[2]!.includes('dasharray')))
    .map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
  const peak = (pts: number[][]) => pts.reduce((a, p) => (p[1]! < a[1]! ? p : a))[0]!;
  assert.ok(peak(dashed!) > peak(solid!), 'the base peaks right of the new run');
  assert.throws(() => plotsOf(html, 'evict-oversize', 'change-density'), /no element/, 'nothing changed there');
});

function fakeHistory(): HistoryRun[] {
  return [1.2, 1.1, 1].map((f, r) => ({
    date: `2025-01-0${r + 1}T00:00:00.000Z`,
    commit: `c${r}`,
    version: '9.8.7',
    node: 'v20.99.1',
    cells: historyRun(fakeSummary()).cells.map((c) => ({ ...c, ns: c.ns * f, lower: c.lower * f, upper: c.upper * f })),
  }));
}

test('the history section draws, per benchmark, one line per engine over the saved runs', () => {
  const history = fakeHistory();
  // The first run had no wasm engine.
  history[0]!.cells = history[0]!.cells.filter((c) => c.subject !== 'wasm');
  const html = renderReport(fakeSummary(), history);
  const section = element(html, 'section', 'id="history"');
  assert.match(section, /drift with the machine/);
  assert.match(section, /--against/);
  for (const id of ['get-hit', 'evict-oversize']) {
    const chart = element(section, 'div', `data-benchmark="${id}"`);
    const lines = [...chart.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').length);
    assert.deepEqual(lines, [3, 2, 3], `${id}: native, wasm (from the second run), ts`);
    for (const s of ['native', 'wasm', 'ts']) assert.ok(chart.includes(`>${s}</text>`), `${id}: legend for ${s}`);
    assert.ok(!chart.includes('>lru-cache</text>'), 'peers are controls, not drawn');
  }
  for (const c of ['<code>c0</code>', '<code>c1</code>', '<code>c2</code>']) assert.ok(section.includes(c), c);
  assert.match(renderReport(fakeSummary()), /<section id="history"><h2>History<\/h2>\n<p>No saved runs yet\.<\/p>/);
});

test('history.jsonl: one line per run appended, the last runs read back, torn lines skipped', () => {
  const root = mkdtempSync(join(tmpdir(), 'caro-history-'));
  try {
    assert.deepEqual(readHistory(root, 30), []);
    const summary = fakeSummary();
    summary.benchmarks[0]!.cells.push(makeCell('ts@origin/main', 'engine', 60));
    for (let i = 0; i < 4; i++) appendHistory(root, { ...historyRun(summary), commit: `c${i}` });
    appendFileSync(join(root, 'history.jsonl'), '{"date": "torn');
    const runs = readHistory(root, 3);
    assert.deepEqual(
      runs.map((r) => r.commit),
      ['c1', 'c2', 'c3'],
    );
    const [run] = runs;
    assert.deepEqual(Object.keys(run!), ['date', 'commit', 'version', 'node', 'cells']);
    assert.deepEqual(Object.keys(run!.cells[0]!), ['benchmark', 'subject', 'entries', 'ns', 'lower', 'upper']);
    assert.equal(run!.cells.length, 9, 'every cell of this version, not the other of --against');
    assert.ok(run!.cells.every((c) => !c.subject.includes('@')));
    assert.deepEqual(run!.cells[0], {
      benchmark: 'get-hit',
      subject: 'native',
      entries: 10_000,
      ns: 40.25,
      lower: 39.5,
      upper: 41.04,
    });
    writeFileSync(join(root, 'history.jsonl'), '');
    assert.deepEqual(readHistory(root, 3), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('html`` escapes every interpolation except fragments it made', () => {
  const evil = '<script>alert("x")</script> & \'';
  const inner = html`<b>${evil}</b>`;
  assert.equal(
    html`<p title="${evil}">${inner}${[inner, evil]}${false}${undefined}${3}</p>`.toString(),
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;">' +
      '<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;</b>'.repeat(2) +
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;3</p>',
  );
  // A look-alike object is not a fragment: it is text, escaped.
  const fake = { toString: () => '<i>' } as unknown as string;
  assert.equal(html`${fake}`.toString(), '&lt;i&gt;');
  assert.equal(html`${raw('<path d="M0,0"/>')}`.toString(), '<path d="M0,0"/>');
});

test('a subject name or benchmark description with <script> comes out escaped', () => {
  const summary = fakeSummary();
  const evil = '<script>alert(1)</script>';
  summary.benchmarks[0]!.description = `fast ${evil}`;
  summary.benchmarks[0]!.cells[1] = { ...summary.benchmarks[0]!.cells[1]!, subject: `wasm${evil}` };
  const history = fakeHistory();
  history[0]!.commit = evil;
  const html = renderReport(summary, history);
  assert.ok(!html.includes('<script'), 'no raw <script>');
  assert.ok(html.includes(`fast &lt;script&gt;alert(1)&lt;/script&gt;`), 'the description, escaped');
  assert.ok(html.includes(`>wasm&lt;script&gt;alert(1)&lt;/script&gt;</text>`), 'the subject, escaped in a chart');
  assert.ok(
    html.includes(`<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>`),
    'a commit from history.jsonl, escaped',
  );
});

test('the controls row warns only when they moved by more than the noise threshold', () => {
  const summary = fakeSummary();
  summary.environment.controlsDrift = 1.01;
  const html = renderReport(summary);
  assert.ok(html.includes('steady (×1.01)'));
  assert.ok(!html.includes('changed speed during the run'));
});

function fakeCounts(): InstructionsSummary {
  const result = (subject: string, entries: number, perUnit: number, base?: number): Counted => ({
    benchmark: 'get_model_hit',
    subject,
    kind: subject.startsWith('mnemonist') ? 'peer' : 'engine',
    entries,
    perUnit,
    ...(base === undefined
      ? {}
      : {
          change: {
            baseline: 'main',
            base,
            ratio: perUnit / base,
            verdict: perUnit > base ? 'regressed' : 'no change',
          },
        }),
  });
  return {
    version: 1,
    measure: 'instructions',
    environment: {
      counter: 'valgrind-3.19.0 callgrind',
      v8Flags: '--predictable --hash-seed=1 --random-seed=1',
      date: '2026-12-03T12:00:00.000Z',
      cpu: 'Test CPU <b>',
      node: 'v20.20.2',
      v8: '11.3',
      platform: 'linux',
      arch: 'x64',
      version: '1.0.0',
      commit: 'abc1234',
      against: 'main at def5678',
    },
    batches: 20,
    results: [
      result('ts', 100, 180, 120),
      result('ts', 10_000, 240, 239),
      result('ts@main', 100, 120),
      result('ts@main', 10_000, 239),
      result('mnemonist-map', 100, 150),
    ],
    skipped: ['get_model_hit_zipf/ts@main: main lacks this benchmark'],
  };
}

test('the instructions page shows the header, a count table per benchmark with changes, a chart, and what was skipped', () => {
  const page = renderInstructionsReport(fakeCounts());
  for (const id of ['environment', 'counts', 'skipped', 'limits']) assert.ok(page.includes(`<section id="${id}">`), id);
  assert.ok(page.includes('<code>main at def5678</code>'), 'the other version');
  assert.ok(page.includes('Test CPU &lt;b&gt;'), 'the stamp, escaped');
  assert.ok(page.includes('>10⁴ entries</th>'), 'a column per size');
  assert.ok(page.includes('<strong>180</strong>'), 'a count');
  assert.match(page, /class="v-regressed">Δ <span class="num">\+50\.0 %<\/span> regressed/);
  assert.ok(page.includes('<th scope="row">mnemonist-map</th>'), 'a peer row');
  assert.ok(page.includes('<span class="num">1.20x</span> mnemonist-map'), "an engine's ratio to the fastest peer");
  assert.ok(page.includes('<title>get_model_hit: instructions per unit at 10² entries</title>'), 'the chart');
  assert.ok(page.includes('<li>get_model_hit_zipf/ts@main: main lacks this benchmark</li>'));
  assert.ok(!/<script|<link|src="http/.test(page), 'self-contained');
  assert.equal(renderInstructionsReport(fakeCounts()), page, 'deterministic');
});
