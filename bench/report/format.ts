// Numbers and names as the report prints them: times in the unit that suits
// them, intervals in their point's unit, changes signed. Plain text only;
// escaping is html.ts's job.

import { formatBytes } from 'caro-cache';
import type { Estimate } from '../stats/index.js';
import type { Interval, Target } from '../summary.js';

/** About three significant figures, fixed-point; '—' for non-finite values. */
export function sig(x: number): string {
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

export function timeUnit(ns: number): readonly [string, number] {
  const a = Math.abs(ns);
  return TIME_UNITS.find(([, div]) => a >= div) ?? ['ns', 1];
}

/** A time given in ns, in the unit that suits it: "12.3 ns", "1.23 µs". */
export function fmtNs(ns: number, trim = false): string {
  if (!Number.isFinite(ns)) return '—';
  const [unit, div] = timeUnit(ns);
  const s = sig(ns / div);
  return `${trim ? trimZeros(s) : s} ${unit}`;
}

/** "12.3 ns [12.1, 12.6]": the point and its CI, in the point's unit. */
export function fmtInterval(iv: Interval): string {
  const [unit, div] = timeUnit(iv.point);
  return `${sig(iv.point / div)} ${unit} [${sig(iv.lower / div)}, ${sig(iv.upper / div)}]`;
}

function signed(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return `${x > 0 ? '+' : x < 0 ? '−' : ''}${sig(Math.abs(x))}`;
}

/** A relative change (0.1 = +10 %) as "+10.0 %". */
export function fmtPct(r: number): string {
  return `${signed(r * 100)} %`;
}

/** A relative change estimate as "+4.10 % [+3.20, +5.00]". */
export function fmtChange(e: Estimate): string {
  const ci = e.confidence_interval;
  return `${fmtPct(e.point_estimate)} [${signed(ci.lower_bound * 100)}, ${signed(ci.upper_bound * 100)}]`;
}

export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return '—';
  return p !== 0 && p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

export function fmtRatio(r: number): string {
  return `${sig(r)}×`;
}

/** Bytes as the library formats them; `trim` drops trailing zeros, for axis ticks. */
export function fmtBytes(bytes: number, trim = false): string {
  if (!Number.isFinite(bytes)) return '—';
  const text = formatBytes(bytes);
  return trim ? text.replace(/\.(\d*?)0+(?= )/, (_, digits: string) => (digits ? `.${digits}` : '')) : text;
}

/** An integer with thousands separators: "1,000,000". */
export function fmtInt(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : sig(n);
}

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** An entry count: powers of ten as "10⁴", anything else as "12,345". */
export function fmtEntries(n: number): string {
  const k = Math.round(Math.log10(n));
  if (n >= 100 && 10 ** k === n) return `10${[...String(k)].map((d) => SUPERSCRIPT[Number(d)]).join('')}`;
  return fmtInt(n);
}

/** "≤ 60 ns per op", "100 ns–400 ns per evicted entry". */
export function targetText(t: Target): string {
  const range =
    t.lowNs !== undefined ? `${fmtNs(t.lowNs, true)}–${fmtNs(t.highNs, true)}` : `≤ ${fmtNs(t.highNs, true)}`;
  return `${range} per ${t.unit}`;
}

/** A name as an id or class fragment: lower case, runs of anything else as '-'. */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
