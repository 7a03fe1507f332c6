// Axes: a domain, its ticks, the mapping onto pixels, and the drawn axis with
// gridlines and labels. Linear axes pick 1-2-5 steps; log axes tick at powers
// of ten. Tick labels share one unit per axis so they line up.

import { html, type SafeHtml } from './html.js';
import { fmtBytes, fmtInt, fmtNs, timeUnit } from './format.js';
import { AXIS, GRID, line, px, text } from './svg.js';

export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  /** Tick spacing of a linear axis (0 for a log axis). */
  step: number;
  ticks: number[];
}

/** A tick label. */
export type Fmt = (v: number) => string;

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

/** A linear axis; with `nice` the domain widens to whole steps, otherwise the ticks fall inside it. */
export function linearAxis(lo: number, hi: number, count = 5, nice = true): Axis {
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
export function logAxis(lo: number, hi: number): Axis {
  let a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (!Number.isFinite(a) || !Number.isFinite(b)) [a, b] = [0, 1];
  if (b <= a) b = a + 1;
  const ticks: number[] = [];
  for (let k = a; k <= b; k++) ticks.push(10 ** k);
  return { lo: 10 ** a, hi: 10 ** b, log: true, step: 0, ticks };
}

/** Maps a domain value onto the range [r0, r1]. */
export function project(axis: Axis, v: number, r0: number, r1: number): number {
  const t = axis.log
    ? (Math.log10(Math.max(v, axis.lo)) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo))
    : (v - axis.lo) / (axis.hi - axis.lo);
  return r0 + t * (r1 - r0);
}

/** Tick labels for a time axis: one unit and enough decimals for the step. */
export function nsTicks(axis: Axis): Fmt {
  if (axis.log || !(axis.step > 0)) return (v) => fmtNs(v, true);
  const [unit, div] = timeUnit(Math.max(Math.abs(axis.lo), Math.abs(axis.hi)));
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(axis.step / div) + 1e-9)));
  return (v) => (v === 0 ? '0' : `${(v / div).toFixed(decimals)} ${unit}`);
}

export function bytesTicks(): Fmt {
  return (v) => fmtBytes(v, true);
}

/** Tick labels for a count: whole numbers only, with thousands separators. */
export function countTicks(): Fmt {
  return (v) => (Number.isInteger(v) ? fmtInt(v) : '');
}

const LABEL = html`fill="#57606a"`;
const MIDDLE = html`text-anchor="middle"`;

/** A bottom axis from x0 to x1 at y = bottom, with gridlines up to y = top. */
export function xAxisSvg(
  axis: Axis,
  x0: number,
  x1: number,
  top: number,
  bottom: number,
  fmt: Fmt,
  label: string,
): SafeHtml[] {
  const parts = axis.ticks.flatMap((t) => {
    const x = project(axis, t, x0, x1);
    return [line(x, top, x, bottom, GRID), line(x, bottom, x, bottom + 4, AXIS), text(x, bottom + 16, fmt(t), MIDDLE)];
  });
  parts.push(line(x0, bottom, x1, bottom, AXIS));
  if (label) parts.push(text((x0 + x1) / 2, bottom + 32, label, html`${MIDDLE} ${LABEL}`));
  return parts;
}

/** A left axis at x = left from y0 (bottom) to y1 (top), with gridlines to x = right. */
export function yAxisSvg(
  axis: Axis,
  y0: number,
  y1: number,
  left: number,
  right: number,
  fmt: Fmt,
  label: string,
): SafeHtml[] {
  const parts = axis.ticks.flatMap((t) => {
    const y = project(axis, t, y0, y1);
    return [
      line(left, y, right, y, GRID),
      line(left - 4, y, left, y, AXIS),
      text(left - 7, y + 4, fmt(t), html`text-anchor="end"`),
    ];
  });
  parts.push(line(left, y0, left, y1, AXIS));
  const mid = (y0 + y1) / 2;
  if (label) parts.push(text(14, mid, label, html`${MIDDLE} ${LABEL} transform="rotate(-90 14 ${px(mid)})"`));
  return parts;
}
