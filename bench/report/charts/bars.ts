// Horizontal bar charts: one bar per subject in the order given, with CI
// whiskers, the printed value, and optionally the target drawn over them.

import { html, type SafeHtml } from '../html.js';
import { linearAxis, project, xAxisSvg, type Axis, type Fmt } from '../axes.js';
import { line, rect, svgDoc, text, whiskerH } from '../svg.js';

export interface Bar {
  label: string;
  colour: string;
  value: number;
  lower?: number;
  upper?: number;
  /** The value as printed at the end of the bar. */
  text: string;
}

/** A target range drawn over a bar chart: a band from lo to hi, or a line at hi. */
export interface Band {
  lo?: number;
  hi: number;
  label: string;
}

const TARGET = html`fill="#116329"`;

/** Horizontal bars in the given order, with CI whiskers and printed values. */
export function barChart(
  title: string,
  bars: Bar[],
  axisLabel: string,
  ticks: (axis: Axis) => Fmt,
  band?: Band,
): SafeHtml {
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

  const body: SafeHtml[] = xAxisSvg(axis, x0, x1, TOP, bottom, ticks(axis), axisLabel);
  if (band && showBand) {
    if (band.lo !== undefined) {
      body.push(rect(x(band.lo), TOP, x(band.hi) - x(band.lo), bottom - TOP, html`fill="#16a34a" fill-opacity="0.1"`));
    }
    const xb = x(band.hi);
    body.push(line(xb, TOP - 4, xb, bottom, html`stroke="#16a34a" stroke-width="1.5" stroke-dasharray="5 3"`));
    const anchor = xb > (x0 + x1) / 2 ? 'end' : 'start';
    body.push(text(xb, TOP - 8, band.label, html`text-anchor="${anchor}" ${TARGET}`));
  } else if (band) {
    body.push(text(x1, TOP - 8, `${band.label} (off scale)`, html`text-anchor="end" ${TARGET}`));
  }
  bars.forEach((b, i) => {
    const yc = TOP + ROW * i + ROW / 2;
    body.push(text(x0 - 8, yc + 4, b.label, html`text-anchor="end"`));
    body.push(rect(x0, yc - 7, x(b.value) - x0, 14, html`fill="${b.colour}" fill-opacity="0.85"`));
    let end = x(b.value);
    if (b.lower !== undefined && b.upper !== undefined) {
      body.push(...whiskerH(x(b.lower), x(b.upper), yc));
      end = Math.max(end, x(b.upper));
    }
    body.push(text(end + 7, yc + 4, b.text));
  });
  return svgDoc(W, H, title, body);
}
