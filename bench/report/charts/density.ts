// Kernel density plots of per-unit times: one cell's samples with their rug
// and mean, or a change's base (dashed) under its new samples (solid) on one
// axis. Times are never negative, so no curve's sweep starts below 0 ns.

import { kde } from '../../stats/index.js';
import { html, type SafeHtml } from '../html.js';
import { linearAxis, nsTicks, project, xAxisSvg } from '../axes.js';
import { fmtNs } from '../format.js';
import { line, polygon, polyline, svgDoc, text } from '../svg.js';
import { KIND_COLOUR } from '../style.js';
import type { Cell } from '../../summary.js';

/** A cell with a change against a base. */
export type Changed = Cell & { change: NonNullable<Cell['change']> };

interface Curve {
  samples: number[];
  colour: string;
  dashed: boolean;
}

const W = 260;
const H = 150;
const L = 24;
const R = 24;
const T = 26;
const B = 36;
const POINTS = 100;
const BASE_COLOUR = '#57606a';
const MEAN = html`stroke="#111827" stroke-width="1.2" stroke-dasharray="3 2"`;

/**
 * The sweep every curve of a plot is evaluated over: the union of their own
 * (criterion's min - 3h to max + 3h), cut at 0 ns where it would reach below.
 */
function sweepRange(samples: readonly number[][]): [number, number] {
  const own = samples.map((s) => kde(s, 2));
  const lo = Math.min(...own.map((d) => d.xs[0]!));
  const hi = Math.max(...own.map((d) => d.xs[d.xs.length - 1]!));
  return [Math.max(0, lo), hi];
}

/** Curves on one time axis; `marks` adds what the plot marks beyond them (rug, means). */
function densityFrame(
  title: string,
  unit: string,
  curves: Curve[],
  marks: (sx: (v: number) => number, base: number) => SafeHtml[],
): SafeHtml {
  if (curves.some((c) => c.samples.length < 2))
    return svgDoc(W, H, title, text(W / 2, H / 2, 'too few samples to plot', html`text-anchor="middle"`));
  const range = sweepRange(curves.map((c) => c.samples));
  const densities = curves.map((c) => kde(c.samples, POINTS, range));
  const axis = linearAxis(range[0], range[1], 3, false);
  const yMax = Math.max(...densities.flatMap((d) => d.ys)) || 1;
  const base = H - B;
  const sx = (v: number): number => project(axis, v, L, W - R);
  const sy = (v: number): number => base - (v / yMax) * (base - T);

  const body: SafeHtml[] = xAxisSvg(axis, L, W - R, T, base, nsTicks(axis), `time per ${unit}`);
  curves.forEach((c, i) => {
    const d = densities[i]!;
    const xy = d.xs.map((x, j): [number, number] => [sx(x), sy(d.ys[j]!)]);
    if (!c.dashed) body.push(polygon([[sx(range[0]), base], ...xy, [sx(range[1]), base]], c.colour, 0.15));
    body.push(polyline(xy, c.colour, 1.5, c.dashed ? html`stroke-dasharray="4 3"` : undefined));
  });
  body.push(...marks(sx, base));
  return svgDoc(W, H, title, body);
}

function meanMark(x: number, label: string): SafeHtml[] {
  return [line(x, T - 4, x, H - B, MEAN), text(x, T - 8, label, html`text-anchor="${x > W / 2 ? 'end' : 'start'}"`)];
}

/** The density of one cell's samples, with the rug and the mean. */
export function densityPlot(cell: Cell, unit: string): SafeHtml {
  const colour = KIND_COLOUR[cell.kind] ?? KIND_COLOUR.peer;
  const samples = cell.samples.filter(Number.isFinite);
  const rug = html`stroke="${colour}" stroke-opacity="0.6"`;
  return densityFrame(
    `Density of ${cell.subject} times per ${unit}`,
    unit,
    [{ samples, colour, dashed: false }],
    (sx, base) => [
      ...samples.map((s) => line(sx(s), base, sx(s), base - 5, rug)),
      ...meanMark(sx(cell.perUnit.point), `mean ${fmtNs(cell.perUnit.point)}`),
    ],
  );
}

/** The density of a changed cell's new samples (solid) over its base's (dashed). */
export function changeDensityPlot(cell: Changed, unit: string): SafeHtml {
  const colour = KIND_COLOUR[cell.kind] ?? KIND_COLOUR.peer;
  const legend = (x: number, label: string, stroke: SafeHtml): SafeHtml[] => [
    line(x, 10, x + 18, 10, stroke),
    text(x + 22, 14, label),
  ];
  return densityFrame(
    `Density of ${cell.subject} times per ${unit}, ${cell.change.baseline} (dashed) and new (solid)`,
    unit,
    [
      { samples: cell.change.baseSamples.filter(Number.isFinite), colour: BASE_COLOUR, dashed: true },
      { samples: cell.samples.filter(Number.isFinite), colour, dashed: false },
    ],
    () => [
      ...legend(L, cell.change.baseline, html`stroke="${BASE_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3"`),
      ...legend(W / 2 + 10, 'new', html`stroke="${colour}" stroke-width="1.5"`),
    ],
  );
}
