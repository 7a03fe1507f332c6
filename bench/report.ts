// The HTML report of the benchmark harness: one self-contained page (inline
// CSS and SVG, no scripts, nothing fetched) rendered from the summary
// (bench/summary.ts, target/criterion/cache/summary.json).
//
// `renderReport` is a pure function of the summary: the same summary always
// gives the same page, byte for byte. Every string that comes from the summary
// goes through `esc`; every colour, class and number format is ours.

import { BACKENDS, formatBytes } from 'caro-cache';
import { driftWorthWarning } from './analysis.js';
import { kde } from './stats/index.js';
import type { Estimate } from './stats/index.js';
import type { BenchmarkSummary, Cell, Interval, SubjectKind, Summary, Target } from './summary.js';

const ENGINES: ReadonlySet<string> = new Set(BACKENDS);

const KIND_COLOUR: Record<SubjectKind, string> = { engine: '#2563eb', peer: '#d97706', floor: '#6b7280' };

/** Line colours for the scale charts, one per subject. */
const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#4b5563',
  '#65a30d',
  '#92400e',
];

// ---------------------------------------------------------------------------
// Text and number formatting
// ---------------------------------------------------------------------------

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG content and (quoted) attribute values. */
function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** About three significant figures, fixed-point; '—' for non-finite values. */
function sig(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  // Below 0.01, fixed decimals would round to 0.000: two significant digits instead.
  return a < 0.01 ? x.toPrecision(2) : x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const TIME_UNITS: readonly (readonly [string, number])[] = [
  ['s', 1e9],
  ['ms', 1e6],
  ['µs', 1e3],
  ['ns', 1],
];

function timeUnit(ns: number): readonly [string, number] {
  const a = Math.abs(ns);
  return TIME_UNITS.find(([, div]) => a >= div) ?? ['ns', 1];
}

/** A time given in ns, in the unit that suits it: "12.3 ns", "1.23 µs". */
function fmtNs(ns: number, trim = false): string {
  if (!Number.isFinite(ns)) return '—';
  const [unit, div] = timeUnit(ns);
  const s = sig(ns / div);
  return `${trim ? trimZeros(s) : s} ${unit}`;
}

/** "12.3 ns [12.1, 12.6]": the point and its CI, in the point's unit. */
function fmtInterval(iv: Interval): string {
  const [unit, div] = timeUnit(iv.point);
  return `${sig(iv.point / div)} ${unit} [${sig(iv.lower / div)}, ${sig(iv.upper / div)}]`;
}

function signed(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return `${x > 0 ? '+' : x < 0 ? '−' : ''}${sig(Math.abs(x))}`;
}

/** A relative change (0.1 = +10 %) as "+10.0 %". */
function fmtPct(r: number): string {
  return `${signed(r * 100)} %`;
}

/** A relative change estimate as "+4.10 % [+3.20, +5.00]". */
function fmtChange(e: Estimate): string {
  const ci = e.confidence_interval;
  return `${fmtPct(e.point_estimate)} [${signed(ci.lower_bound * 100)}, ${signed(ci.upper_bound * 100)}]`;
}

function fmtP(p: number): string {
  if (!Number.isFinite(p)) return '—';
  return p !== 0 && p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

function fmtRatio(r: number): string {
  return `${sig(r)}×`;
}

/** Bytes as the library formats them; `trim` drops trailing zeros, for axis ticks. */
function fmtBytes(bytes: number, trim = false): string {
  if (!Number.isFinite(bytes)) return '—';
  const text = formatBytes(bytes);
  return trim ? text.replace(/\.(\d*?)0+(?= )/, (_, digits: string) => (digits ? `.${digits}` : '')) : text;
}

/** An integer with thousands separators: "1,000,000". */
function fmtInt(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : sig(n);
}

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** An entry count: powers of ten as "10⁴", anything else as "12,345". */
function fmtEntries(n: number): string {
  const k = Math.round(Math.log10(n));
  if (n >= 100 && 10 ** k === n) return `10${[...String(k)].map((d) => SUPERSCRIPT[Number(d)]).join('')}`;
  return fmtInt(n);
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

// ---------------------------------------------------------------------------
// SVG primitives and axes
// ---------------------------------------------------------------------------

/** A coordinate rounded to 0.1 px (non-finite values become 0). */
function px(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '0';
}

/**
 * An SVG element for inline use. Fonts and colours are presentation
 * attributes, so the SVG also renders correctly when copied out of the page.
 */
function svgDoc(width: number, height: number, title: string, body: string): string {
  return (
    `<svg role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="11" fill="#1f2328">` +
    `<title>${esc(title)}</title>${body}</svg>`
  );
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ` ${attrs}` : ''}>${esc(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" ${attrs}/>`;
}

function rect(x: number, y: number, w: number, h: number, attrs: string): string {
  return `<rect x="${px(x)}" y="${px(y)}" width="${px(Math.max(0, w))}" height="${px(h)}" ${attrs}/>`;
}

function polyline(points: string[], colour: string, width: number): string {
  return `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="${width}"/>`;
}

const AXIS = 'stroke="#57606a"';
const GRID = 'stroke="#e5e7eb"';

/** A horizontal whisker with end caps. */
function whiskerH(x1: number, x2: number, y: number): string {
  const s = 'stroke="#111827" stroke-width="1.2"';
  return line(x1, y, x2, y, s) + line(x1, y - 5, x1, y + 5, s) + line(x2, y - 5, x2, y + 5, s);
}

/** A vertical whisker with end caps. */
function whiskerV(x: number, y1: number, y2: number, colour: string): string {
  const s = `stroke="${colour}" stroke-width="1.2"`;
  return line(x, y1, x, y2, s) + line(x - 4, y1, x + 4, y1, s) + line(x - 4, y2, x + 4, y2, s);
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  /** Tick spacing of a linear axis (0 for a log axis). */
  step: number;
  ticks: number[];
}

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

/** A linear axis; with `nice` the domain widens to whole steps, otherwise the ticks fall inside it. */
function linearAxis(lo: number, hi: number, count = 5, nice = true): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (!(hi > lo)) hi = lo + (Math.abs(lo) || 1);
  const step = niceStep(hi - lo, count);
  if (nice) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(i * step);
  return { lo, hi, log: false, step, ticks };
}

/** A log10 axis over whole decades, ticked at each power of ten. */
function logAxis(lo: number, hi: number): Axis {
  let a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (!Number.isFinite(a) || !Number.isFinite(b)) [a, b] = [0, 1];
  if (b <= a) b = a + 1;
  const ticks: number[] = [];
  for (let k = a; k <= b; k++) ticks.push(10 ** k);
  return { lo: 10 ** a, hi: 10 ** b, log: true, step: 0, ticks };
}

/** Maps a domain value onto the range [r0, r1]. */
function project(axis: Axis, v: number, r0: number, r1: number): number {
  const t = axis.log
    ? (Math.log10(Math.max(v, axis.lo)) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo))
    : (v - axis.lo) / (axis.hi - axis.lo);
  return r0 + t * (r1 - r0);
}

/** Tick labels for a time axis: one unit and enough decimals for the step. */
function nsTicks(axis: Axis): Fmt {
  if (axis.log || !(axis.step > 0)) return (v) => fmtNs(v, true);
  const [unit, div] = timeUnit(Math.max(Math.abs(axis.lo), Math.abs(axis.hi)));
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(axis.step / div) + 1e-9)));
  return (v) => (v === 0 ? '0' : `${(v / div).toFixed(decimals)} ${unit}`);
}

function bytesTicks(): Fmt {
  return (v) => fmtBytes(v, true);
}

/** A bottom axis from x0 to x1 at y = bottom, with gridlines up to y = top. */
type Fmt = (v: number) => string;

function xAxisSvg(axis: Axis, x0: number, x1: number, top: number, bottom: number, fmt: Fmt, label: string): string {
  let s = '';
  for (const t of axis.ticks) {
    const x = project(axis, t, x0, x1);
    s += line(x, top, x, bottom, GRID) + line(x, bottom, x, bottom + 4, AXIS);
    s += text(x, bottom + 16, fmt(t), 'text-anchor="middle"');
  }
  s += line(x0, bottom, x1, bottom, AXIS);
  if (label) s += text((x0 + x1) / 2, bottom + 32, label, 'text-anchor="middle" fill="#57606a"');
  return s;
}

/** A left axis at x = left from y0 (bottom) to y1 (top), with gridlines to x = right. */
function yAxisSvg(axis: Axis, y0: number, y1: number, left: number, right: number, fmt: Fmt, label: string): string {
  let s = '';
  for (const t of axis.ticks) {
    const y = project(axis, t, y0, y1);
    s +=
      line(left, y, right, y, GRID) +
      line(left - 4, y, left, y, AXIS) +
      text(left - 7, y + 4, fmt(t), 'text-anchor="end"');
  }
  s += line(left, y0, left, y1, AXIS);
  const mid = (y0 + y1) / 2;
  if (label) s += text(14, mid, label, `text-anchor="middle" fill="#57606a" transform="rotate(-90 14 ${px(mid)})"`);
  return s;
}

// ---------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------

interface Bar {
  label: string;
  colour: string;
  value: number;
  lower?: number;
  upper?: number;
  /** The value as printed at the end of the bar. */
  text: string;
}

/** A target range drawn over a bar chart: a band from lo to hi, or a line at hi. */
interface Band {
  lo?: number;
  hi: number;
  label: string;
}

/** Horizontal bars in the given order, with CI whiskers and printed values. */
function barChart(title: string, bars: Bar[], axisLabel: string, ticks: (axis: Axis) => Fmt, band?: Band): string {
  const W = 760;
  const ROW = 24;
  const TOP = band ? 24 : 8;
  const labelW = Math.min(240, Math.max(70, 14 + 6.6 * Math.max(0, ...bars.map((b) => b.label.length))));
  const textW = Math.min(220, Math.max(60, 12 + 6.2 * Math.max(0, ...bars.map((b) => b.text.length))));
  const x0 = labelW;
  const x1 = W - textW;
  const bottom = TOP + ROW * bars.length;
  const H = bottom + 42;
  let max = Math.max(0, ...bars.map((b) => Math.max(b.value, b.upper ?? b.value)).filter(Number.isFinite));
  const showBand = band !== undefined && band.hi > 0 && (max === 0 || band.hi <= 4 * max);
  if (showBand) max = Math.max(max, band.hi);
  const axis = linearAxis(0, max);
  const x = (v: number): number => project(axis, v, x0, x1);

  let body = xAxisSvg(axis, x0, x1, TOP, bottom, ticks(axis), axisLabel);
  if (band && showBand) {
    if (band.lo !== undefined) {
      body += rect(x(band.lo), TOP, x(band.hi) - x(band.lo), bottom - TOP, 'fill="#16a34a" fill-opacity="0.1"');
    }
    const xb = x(band.hi);
    body += line(xb, TOP - 4, xb, bottom, 'stroke="#16a34a" stroke-width="1.5" stroke-dasharray="5 3"');
    body += text(xb, TOP - 8, band.label, `text-anchor="${xb > (x0 + x1) / 2 ? 'end' : 'start'}" fill="#116329"`);
  } else if (band) {
    body += text(x1, TOP - 8, `${band.label} (off scale)`, 'text-anchor="end" fill="#116329"');
  }
  bars.forEach((b, i) => {
    const yc = TOP + ROW * i + ROW / 2;
    body += text(x0 - 8, yc + 4, b.label, 'text-anchor="end"');
    body += rect(x0, yc - 7, x(b.value) - x0, 14, `fill="${b.colour}" fill-opacity="0.85"`);
    let end = x(b.value);
    if (b.lower !== undefined && b.upper !== undefined) {
      body += whiskerH(x(b.lower), x(b.upper), yc);
      end = Math.max(end, x(b.upper));
    }
    body += text(end + 7, yc + 4, b.text);
  });
  return svgDoc(W, H, title, body);
}

/** A small kernel density plot of a cell's samples, with the rug and the mean. */
function densityPlot(cell: Cell, unit: string): string {
  const W = 260;
  const H = 150;
  const L = 24;
  const R = 24;
  const T = 26;
  const B = 36;
  const title = `Density of ${cell.subject} times per ${unit}`;
  const samples = cell.samples.filter(Number.isFinite);
  if (samples.length < 2)
    return svgDoc(W, H, title, text(W / 2, H / 2, 'too few samples to plot', 'text-anchor="middle"'));
  const colour = KIND_COLOUR[cell.kind] ?? KIND_COLOUR.peer;
  const sweep = kde(samples, 100);
  // Times are never negative: where the sweep would reach below zero it starts at zero instead.
  const d = sweep.xs[0]! < 0 ? kde(samples, 100, [0, sweep.xs[sweep.xs.length - 1]!]) : sweep;
  const axis = linearAxis(d.xs[0]!, d.xs[d.xs.length - 1]!, 3, false);
  const yMax = Math.max(...d.ys) || 1;
  const base = H - B;
  const sx = (v: number): number => project(axis, v, L, W - R);
  const sy = (v: number): number => base - (v / yMax) * (base - T);
  const pts = d.xs.map((xv, i) => `${px(sx(xv))},${px(sy(d.ys[i]!))}`);

  let body = xAxisSvg(axis, L, W - R, T, base, nsTicks(axis), `time per ${unit}`);
  body += `<path d="M${px(L)},${px(base)} L${pts.join(' L')} L${px(W - R)},${px(base)} Z" fill="${colour}" fill-opacity="0.15"/>`;
  body += polyline(pts, colour, 1.5);
  for (const s of samples) body += line(sx(s), base, sx(s), base - 5, `stroke="${colour}" stroke-opacity="0.6"`);
  const m = cell.perUnit.point;
  const xm = sx(m);
  body += line(xm, T - 4, xm, base, 'stroke="#111827" stroke-width="1.2" stroke-dasharray="3 2"');
  body += text(xm, T - 8, `mean ${fmtNs(m)}`, `text-anchor="${xm > W / 2 ? 'end' : 'start'}"`);
  return svgDoc(W, H, title, body);
}

interface LineSeries {
  label: string;
  colour: string;
  points: { x: number; y: Interval }[];
}

/**
 * One line per series, x on a log scale, with CI whiskers at every point. The
 * y axis is linear from 0 unless the values span more than 30×, then log.
 */
function logXLineChart(title: string, series: LineSeries[], xLabel: string, yLabel: string): string {
  const W = 760;
  const H = 320;
  const L = 80;
  const R = 180;
  const T = 16;
  const B = 50;
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x).filter((v) => v > 0);
  const xAxis = logAxis(Math.min(...xs), Math.max(...xs));
  const ys = all.flatMap((p) => [p.y.lower, p.y.point, p.y.upper]).filter(Number.isFinite);
  const yMin = Math.min(...ys);
  const yMax = Math.max(...ys);
  const yLog = yMin > 0 && yMax / yMin > 30;
  const yAxis = yLog ? logAxis(yMin, yMax) : linearAxis(0, yMax);
  const sx = (v: number): number => project(xAxis, v, L, W - R);
  const sy = (v: number): number => project(yAxis, v, H - B, T);

  let body = xAxisSvg(xAxis, L, W - R, T, H - B, fmtEntries, xLabel);
  body += yAxisSvg(yAxis, H - B, T, L, W - R, nsTicks(yAxis), yLog ? `${yLabel} (log scale)` : yLabel);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    body += polyline(
      pts.map((p) => `${px(sx(p.x))},${px(sy(p.y.point))}`),
      s.colour,
      2,
    );
    for (const p of pts) {
      body += whiskerV(sx(p.x), sy(p.y.lower), sy(p.y.upper), s.colour);
      body += `<circle cx="${px(sx(p.x))}" cy="${px(sy(p.y.point))}" r="3.5" fill="${s.colour}"/>`;
    }
    const ly = T + 8 + 18 * i;
    body += line(W - R + 16, ly, W - R + 40, ly, `stroke="${s.colour}" stroke-width="2"`);
    body += text(W - R + 46, ly + 4, s.label);
  });
  return svgDoc(W, H, title, body);
}

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th scope="col">${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n');
  const open = cls ? `<table class="${cls}">` : '<table>';
  return `<div class="scroll">${open}<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}"><h2>${heading}</h2>\n${body}\n</section>`;
}

function td(html: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;
}

function kindOf(subject: string, kinds: Map<string, SubjectKind>): SubjectKind {
  return kinds.get(subject) ?? (ENGINES.has(subject) ? 'engine' : subject.startsWith('floor:') ? 'floor' : 'peer');
}

function swatch(kind: SubjectKind): string {
  return `<span class="swatch k-${kind}"></span>`;
}

function targetText(t: Target): string {
  const range =
    t.lowNs !== undefined ? `${fmtNs(t.lowNs, true)}–${fmtNs(t.highNs, true)}` : `≤ ${fmtNs(t.highNs, true)}`;
  return `${range} per ${t.unit}`;
}

function verdictClass(verdict: string): string {
  return `v-${slug(verdict)}`;
}

function environmentSection(summary: Summary): string {
  const env = summary.environment;
  const rows: [string, string][] = [
    ['CPU', esc(env.cpu)],
    ['Cores', esc(env.cores)],
    ['Memory', esc(fmtBytes(env.memoryBytes))],
    ['Node', esc(env.node)],
    ['V8', esc(env.v8)],
    ['Platform', `${esc(env.platform)}/${esc(env.arch)}`],
    ['Version', `${esc(env.version)}, commit <code>${esc(env.commit)}</code>`],
    ...(env.against === undefined
      ? []
      : [['Against', `<code>${esc(env.against)}</code>, sampled in the same turns`] as [string, string]]),
    ['Processes', esc(env.placement)],
    ['Load average', `${esc(env.load.start.toFixed(2))} at the start, ${esc(env.load.end.toFixed(2))} at the end`],
    [
      'Controls within the run',
      driftWorthWarning(env)
        ? `<span class="badge missed">moved ×${esc(env.controlsDrift.toFixed(2))}</span> the machine changed speed during the run`
        : `steady (×${esc(env.controlsDrift.toFixed(2))})`,
    ],
    ['Quick run', env.quick ? '<span class="badge missed">yes</span> reduced sampling: figures are indicative' : 'no'],
    ...Object.entries(env.engines).map(([name, info]): [string, string] => [
      `Engine ${esc(name)}`,
      `<code>${esc(info)}</code>`,
    ]),
  ];
  if (summary.baseline !== undefined) rows.push(['Baseline', esc(summary.baseline)]);
  const trs = rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n');
  return section('environment', 'Environment', `<table class="env"><tbody>${trs}</tbody></table>`);
}

function engineSubjects(summary: Summary): string[] {
  const extra = new Set<string>();
  for (const b of summary.benchmarks) {
    for (const c of b.cells) if (c.kind === 'engine' && !ENGINES.has(c.subject)) extra.add(c.subject);
  }
  return [...BACKENDS, ...extra];
}

function changeLine(c: NonNullable<Cell['change']>): string {
  return `<div class="${verdictClass(c.verdict)}">Δ <span class="num">${esc(fmtChange(c.mean))}</span> ${esc(c.verdict)}</div>`;
}

function ratioLine(ratio: { subject: string; ratio: number }, what: string): string {
  return `<div><span class="num">${esc(fmtRatio(ratio.ratio))}</span> ${what} <span class="muted">(${esc(ratio.subject)})</span></div>`;
}

function engineCell(bench: BenchmarkSummary, subject: string): string {
  const cell = bench.cells.find((c) => c.subject === subject);
  if (!cell) {
    const skip = bench.skipped.find((s) => s.subject === subject);
    return skip ? td(`skipped: ${esc(skip.reason)}`, 'muted') : td('—', 'muted');
  }
  let html = `<div class="num"><strong>${esc(fmtInterval(cell.perUnit))}</strong></div>`;
  if (cell.targetMet !== undefined) {
    const verdict = cell.targetMet ? 'met' : 'missed';
    html += `<div><span class="badge ${verdict}">target ${verdict}</span></div>`;
  }
  if (cell.floor) html += ratioLine(cell.floor, 'floor');
  if (cell.bestPeer) html += ratioLine(cell.bestPeer, 'best peer');
  if (cell.change) html += changeLine(cell.change);
  return td(html);
}

/** The peer the engines' ratios are taken against (the fastest exact one), so the column and the ratios agree. */
function bestPeer(bench: BenchmarkSummary): Cell | undefined {
  const name = bench.cells.find((c) => c.bestPeer !== undefined)?.bestPeer?.subject;
  return bench.cells.find((c) => c.subject === name);
}

function summarySection(summary: Summary, anchors: string[]): string {
  const engines = engineSubjects(summary);
  const rows = summary.benchmarks.map((b, i) => {
    const head =
      `<th scope="row"><a href="#${anchors[i]}">${esc(b.id)}</a><div class="muted">${esc(b.description)}</div>` +
      `<div>target <span class="num">${esc(targetText(b.target))}</span></div></th>`;
    const peer = bestPeer(b);
    const peerCell = peer
      ? td(`${esc(peer.subject)}<div class="num">${esc(fmtInterval(peer.perUnit))}</div>`)
      : td('—', 'muted');
    return [head, ...engines.map((e) => engineCell(b, e)), peerCell];
  });
  const body = rows.length
    ? table(['Benchmark', ...engines.map(esc), 'best peer'], rows, 'summary')
    : '<p>No benchmarks in this summary.</p>';
  const intro =
    '<p class="muted">Mean time per unit with its 95% confidence interval; ratios are to the ' +
    "engine's physical floor and to the fastest peer (below 1× is faster).</p>";
  return section('summary', 'Summary', `${intro}\n${body}`);
}

function benchmarkSection(bench: BenchmarkSummary, anchor: string): string {
  const unit = bench.target.unit;
  const cells = [...bench.cells].sort((a, b) => a.perUnit.point - b.perUnit.point);
  const entries = [...new Set(cells.map((c) => c.entries))];
  const label = (c: Cell): string => (entries.length > 1 ? `${c.subject} @ ${fmtEntries(c.entries)}` : c.subject);
  const bars: Bar[] = cells.map((c) => ({
    label: label(c),
    colour: KIND_COLOUR[c.kind] ?? KIND_COLOUR.peer,
    value: c.perUnit.point,
    lower: c.perUnit.lower,
    upper: c.perUnit.upper,
    text: fmtInterval(c.perUnit),
  }));
  const band: Band = { lo: bench.target.lowNs, hi: bench.target.highNs, label: `target ${targetText(bench.target)}` };
  const chart = bars.length
    ? barChart(
        `${bench.id}: mean time per ${unit} of each subject, fastest first`,
        bars,
        `time per ${unit} (mean, 95% CI)`,
        nsTicks,
        band,
      )
    : '<p>No subject ran this benchmark.</p>';
  const skips = bench.skipped.map((s) => `<strong>${esc(s.subject)}</strong> (${esc(s.reason)})`);
  const skipped = skips.length ? `<p class="note">Skipped: ${skips.join('; ')}.</p>` : '';
  const densities = cells
    .map((c) => {
      const o = c.outliers;
      const caption =
        `${swatch(c.kind)}<strong>${esc(label(c))}</strong> <span class="muted">${esc(c.kind)} · n = ${c.samples.length} · ` +
        `outliers ${o.lowMild + o.highMild} mild, ${o.lowSevere + o.highSevere} severe</span>`;
      return `<figure><figcaption>${caption}</figcaption>${densityPlot(c, unit)}</figure>`;
    })
    .join('\n');
  const where = entries.length === 1 ? ` · cache of ${esc(fmtEntries(entries[0]!))} entries` : '';
  return (
    `<section class="bench" id="${anchor}" data-benchmark="${esc(bench.id)}">\n<h3>${esc(bench.id)}</h3>\n` +
    `<p>${esc(bench.description)}${where}</p>\n` +
    `<p>Target <span class="num">${esc(targetText(bench.target))}</span> ` +
    `<span class="muted">(${esc(bench.target.source)})</span></p>\n` +
    `${chart}\n${skipped}\n<div class="densities">\n${densities}\n</div>\n</section>`
  );
}

function benchmarksSection(summary: Summary, anchors: string[]): string {
  const legend = (['engine', 'peer', 'floor'] as const).map((k) => `${swatch(k)}${k}`).join(' &nbsp; ');
  const body = summary.benchmarks.map((b, i) => benchmarkSection(b, anchors[i]!)).join('\n');
  return section(
    'benchmarks',
    'Benchmarks',
    `<p class="legend">${legend}</p>\n${body || '<p>No benchmarks in this summary.</p>'}`,
  );
}

function changeSection(summary: Summary): string {
  const rows: string[][] = [];
  let first: NonNullable<Cell['change']> | undefined;
  for (const b of summary.benchmarks) {
    for (const c of b.cells) {
      if (!c.change) continue;
      first ??= c.change;
      rows.push([
        td(esc(b.id)),
        td(`${swatch(c.kind)}${esc(c.subject)}`),
        td(esc(fmtChange(c.change.mean)), 'num'),
        td(esc(fmtPct(c.change.median.point_estimate)), 'num'),
        td(esc(fmtP(c.change.pValue)), 'num'),
        td(esc(c.change.verdict), verdictClass(c.change.verdict)),
        td(esc(c.change.baseline)),
      ]);
    }
  }
  const netOfControls = summary.benchmarks.some((b) => b.cells.some((c) => c.change?.normalisation === 'controls'));
  const rule = first
    ? ` Changes within ±${esc(sig(first.noiseThreshold * 100))} % are noise; ` +
      `significance level ${esc(String(first.significance))}; ` +
      `no change needs the whole interval within ±${esc(sig(first.threshold * 100))} %, else the change is inconclusive. ` +
      (netOfControls
        ? "Engines' changes are net of the drift of the peers and floors measured beside them in both runs."
        : 'Changes are not normalised.')
    : '';
  const body = rows.length
    ? table(
        ['Benchmark', 'Subject', 'Mean change [95% CI]', 'Median change', 'p-value', 'Verdict', 'Baseline'],
        rows,
        'changes',
      )
    : '<p>No cell has a change against the baseline.</p>';
  const intro = `<p>Against baseline <strong>${esc(summary.baseline ?? '')}</strong>; positive is slower.${rule}</p>`;
  return section('changes', 'Change since baseline', `${intro}\n${body}`);
}

function scaleSection(summary: Summary, kinds: Map<string, SubjectKind>): string {
  if (summary.scale.length === 0) return section('scale', 'Scaling', '<p>No scale series in this summary.</p>');
  const colours = new Map<string, string>();
  for (const s of summary.scale)
    if (!colours.has(s.subject)) colours.set(s.subject, PALETTE[colours.size % PALETTE.length]!);
  const benchmarks = [...new Set(summary.scale.map((s) => s.benchmark))];
  const charts = benchmarks.map((id) => {
    const series = summary.scale.filter((s) => s.benchmark === id);
    const unit = summary.benchmarks.find((b) => b.id === id)?.target.unit ?? 'unit';
    const chart = logXLineChart(
      `${id}: mean time per ${unit} against the number of entries, one line per subject`,
      series.map((s) => ({
        label: s.subject,
        colour: colours.get(s.subject)!,
        points: s.points.map((p) => ({ x: p.entries, y: p.perUnit })),
      })),
      'entries in the cache (log scale)',
      `time per ${unit}`,
    );
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.entries)))].sort((a, b) => a - b);
    const rows = series.map((s) => [
      td(`${swatch(kindOf(s.subject, kinds))}${esc(s.subject)}`),
      ...xs.map((x) => {
        const p = s.points.find((q) => q.entries === x);
        return td(p ? esc(fmtInterval(p.perUnit)) : '—', 'num');
      }),
    ]);
    return (
      `<div class="scale" data-benchmark="${esc(id)}"><h3>${esc(id)}</h3>\n${chart}\n` +
      `<details><summary>Figures</summary>${table(['Subject', ...xs.map((x) => `${esc(fmtEntries(x))} entries`)], rows)}` +
      '</details></div>'
    );
  });
  const intro = '<p class="muted">Mean time per unit against cache size, with 95% CIs.</p>';
  return section('scale', 'Scaling', `${intro}\n${charts.join('\n')}`);
}

function memorySection(summary: Summary, kinds: Map<string, SubjectKind>): string {
  if (summary.memory.length === 0) return section('memory', 'Memory', '<p>No memory figures in this summary.</p>');
  const figures = [...summary.memory].sort((a, b) => a.bytesPerEntry - b.bytesPerEntry);
  const manyEntries = new Set(figures.map((m) => m.entries)).size > 1;
  const label = (subject: string, entries: number): string =>
    manyEntries ? `${subject} @ ${fmtEntries(entries)}` : subject;
  const bars: Bar[] = figures.map((m) => ({
    label: label(m.subject, m.entries),
    colour: KIND_COLOUR[kindOf(m.subject, kinds)],
    value: m.bytesPerEntry,
    text: fmtBytes(m.bytesPerEntry),
  }));
  const chart = barChart(
    'Memory: bytes per cache entry of each subject, smallest first',
    bars,
    'bytes per entry',
    bytesTicks,
  );
  const rows = figures.map((m) => [
    td(`${swatch(kindOf(m.subject, kinds))}${esc(m.subject)}`),
    td(esc(fmtInt(m.entries)), 'num r'),
    td(esc(fmtBytes(m.bytesPerEntry)), 'num r'),
    td(esc(fmtBytes(m.heapBytes)), 'num r'),
    td(esc(fmtBytes(m.externalBytes)), 'num r'),
  ]);
  const intro = '<p class="muted">(JS heap + external + WASM memory growth) / entries.</p>';
  const figuresTable = table(['Subject', 'Entries', 'Bytes per entry', 'JS heap', 'External'], rows, 'memory');
  return section('memory', 'Memory', `${intro}\n${chart}\n${figuresTable}`);
}

function skippedSection(summary: Summary): string {
  const body = summary.skipped.length
    ? table(
        ['Subject', 'Reason'],
        summary.skipped.map((s) => [td(esc(s.subject)), td(esc(s.reason))]),
        'skipped',
      )
    : '<p>Every subject ran.</p>';
  return section('skipped', 'Skipped subjects', body);
}

const CSS = `
:root { color-scheme: light; }
body {
  margin: 0; color: #1f2328; background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 2em; }
h3 { font-size: 1.1em; margin: 1.6em 0 0.3em; }
nav a { margin-right: 12px; }
a { color: #0969da; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
table.env th { background: #f6f8fa; font-weight: 600; }
.scroll { overflow-x: auto; }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.r { text-align: right; }
.muted { color: #656d76; }
.note { background: #fff8c5; border: 1px solid #eac54f; border-radius: 6px; padding: 4px 8px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; }
.met { background: #dafbe1; color: #116329; }
.missed { background: #ffebe9; color: #a40e26; }
.v-improved { color: #116329; font-weight: 600; }
.v-regressed { color: #a40e26; font-weight: 600; }
.v-no-change { color: #656d76; }
.v-inconclusive { color: #9a6700; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: baseline; }
.k-engine { background: ${KIND_COLOUR.engine}; }
.k-peer { background: ${KIND_COLOUR.peer}; }
.k-floor { background: ${KIND_COLOUR.floor}; }
svg { display: block; max-width: 100%; height: auto; }
.densities { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 10px; margin-top: 10px; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; }
figcaption { font-size: 13px; margin-bottom: 2px; }
code { font-size: 12px; word-break: break-all; }
details { margin: 4px 0 16px; }
`;

/**
 * Renders the benchmark summary as one self-contained HTML page: inline CSS
 * and SVG, no scripts, no external resources. Deterministic.
 */
export function renderReport(summary: Summary): string {
  const kinds = new Map<string, SubjectKind>();
  for (const b of summary.benchmarks) for (const c of b.cells) if (!kinds.has(c.subject)) kinds.set(c.subject, c.kind);
  const used = new Set<string>();
  const anchors = summary.benchmarks.map((b, i) => {
    let a = `bench-${slug(b.id) || i + 1}`;
    if (used.has(a)) a += `-${i + 1}`;
    used.add(a);
    return a;
  });
  const hasChanges = summary.baseline !== undefined;
  const nav = [
    ['environment', 'Environment'],
    ['summary', 'Summary'],
    ['benchmarks', 'Benchmarks'],
    ...(hasChanges ? [['changes', 'Change since baseline']] : []),
    ['scale', 'Scaling'],
    ['memory', 'Memory'],
    ['skipped', 'Skipped'],
  ]
    .map(([id, name]) => `<a href="#${id}">${name}</a>`)
    .join('');
  const date = summary.environment.date;
  const sections = [
    environmentSection(summary),
    summarySection(summary, anchors),
    benchmarksSection(summary, anchors),
    hasChanges ? changeSection(summary) : '',
    scaleSection(summary, kinds),
    memorySection(summary, kinds),
    skippedSection(summary),
  ].filter(Boolean);
  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>caro-cache benchmarks, ${esc(date)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n` +
    `<header><h1>caro-cache benchmarks</h1>\n<p class="muted">Run of <time datetime="${esc(date)}">${esc(date)}</time>` +
    `${summary.environment.quick ? ' · quick run' : ''}</p>\n<nav>${nav}</nav></header>\n` +
    `${sections.join('\n')}\n</main>\n</body>\n</html>\n`
  );
}
