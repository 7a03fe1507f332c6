// Criterion's regression plot: each sample's total time against its
// iteration count, with the line through the origin whose slope is the
// time per iteration, and the band of that slope's confidence interval.
// A straight cloud along the line says the per-iteration time held steady
// across batch sizes; a bend says fixed costs or warm-up leak into it.

import { html, type SafeHtml } from '../html.js';
import { countTicks, linearAxis, nsTicks, project, xAxisSvg, yAxisSvg } from '../axes.js';
import { fmtNs } from '../format.js';
import { circle, line, polygon, svgDoc, text } from '../svg.js';
import { KIND_COLOUR } from '../style.js';
import type { Cell } from '../../summary.js';

const W = 260;
const H = 170;
const L = 62;
const R = 12;
const T = 22;
const B = 40;

/** The slope plot of one cell (samples' total time ÷ units per batch, against batches per sample). */
export function slopePlot(cell: Cell, unit: string): SafeHtml {
  const title = `Total time of each sample of ${cell.subject} against its iterations, with the fitted slope`;
  const slope = cell.estimates.slope;
  const pairs = cell.iters
    .map((n, i): [number, number] => [n, n * cell.samples[i]!])
    .filter(([n, t]) => Number.isFinite(n) && Number.isFinite(t));
  if (slope === null || pairs.length < 2) {
    const why = slope === null ? 'every sample ran the same iterations: no slope' : 'too few samples to plot';
    return svgDoc(W, H, title, text(W / 2, H / 2, why, html`text-anchor="middle"`));
  }
  const { lower_bound: lower, upper_bound: upper } = slope.confidence_interval;
  const xMax = Math.max(...pairs.map(([n]) => n));
  const xAxis = linearAxis(0, xMax, 4);
  const yAxis = linearAxis(0, Math.max(...pairs.map(([, t]) => t), upper * xAxis.hi), 4);
  const sx = (v: number): number => project(xAxis, v, L, W - R);
  const sy = (v: number): number => project(yAxis, v, H - B, T);
  const colour = KIND_COLOUR[cell.kind] ?? KIND_COLOUR.peer;
  const x1 = xAxis.hi;

  return svgDoc(W, H, title, [
    ...xAxisSvg(xAxis, L, W - R, T, H - B, countTicks(), 'iterations (batches) per sample'),
    ...yAxisSvg(yAxis, H - B, T, L, W - R, nsTicks(yAxis), `time ÷ units per batch`),
    polygon(
      [
        [sx(0), sy(0)],
        [sx(x1), sy(lower * x1)],
        [sx(x1), sy(upper * x1)],
      ],
      colour,
      0.18,
    ),
    line(sx(0), sy(0), sx(x1), sy(slope.point_estimate * x1), html`stroke="${colour}" stroke-width="1.5"`),
    ...pairs.map(([n, t]) => circle(sx(n), sy(t), 2.2, colour, html`fill-opacity="0.7"`)),
    text(L + 6, T - 8, `slope ${fmtNs(slope.point_estimate)} per ${unit}`),
  ]);
}
