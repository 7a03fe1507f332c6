// Line charts with CI whiskers at every point and a legend on the right: one
// line per subject, over the scale series' entries (log x) or the saved runs
// (linear x). The y axis is linear from 0 unless the values span more than
// 30×, then log.

import { html, type SafeHtml } from '../html.js';
import { linearAxis, logAxis, nsTicks, project, xAxisSvg, yAxisSvg, type Axis, type Fmt } from '../axes.js';
import { circle, line, polyline, svgDoc, text, whiskerV } from '../svg.js';
import type { Interval } from '../../summary.js';

export interface LineSeries {
  label: string;
  colour: string;
  /** Points where the subject has a figure; a gap in x is simply no point there. */
  points: { x: number; y: Interval }[];
}

/** The x axis of a line chart: its domain and ticks, their labels, and its title. */
interface XAxis {
  axis: Axis;
  fmt: Fmt;
  label: string;
}

export function lineChart(title: string, series: LineSeries[], x: XAxis, yLabel: string): SafeHtml {
  const W = 760;
  const H = 320;
  const L = 80;
  const R = 180;
  const T = 16;
  const B = 50;
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y.lower, p.y.point, p.y.upper])).filter(Number.isFinite);
  const yMin = Math.min(...ys);
  const yMax = Math.max(...ys);
  const yLog = yMin > 0 && yMax / yMin > 30;
  const yAxis = yLog ? logAxis(yMin, yMax) : linearAxis(0, yMax);
  const sx = (v: number): number => project(x.axis, v, L, W - R);
  const sy = (v: number): number => project(yAxis, v, H - B, T);

  const body: SafeHtml[] = [
    ...xAxisSvg(x.axis, L, W - R, T, H - B, x.fmt, x.label),
    ...yAxisSvg(yAxis, H - B, T, L, W - R, nsTicks(yAxis), yLog ? `${yLabel} (log scale)` : yLabel),
  ];
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    body.push(
      polyline(
        pts.map((p): [number, number] => [sx(p.x), sy(p.y.point)]),
        s.colour,
        2,
      ),
    );
    for (const p of pts) {
      body.push(...whiskerV(sx(p.x), sy(p.y.lower), sy(p.y.upper), s.colour));
      body.push(circle(sx(p.x), sy(p.y.point), 3.5, s.colour));
    }
    const ly = T + 8 + 18 * i;
    body.push(line(W - R + 16, ly, W - R + 40, ly, html`stroke="${s.colour}" stroke-width="2"`));
    body.push(text(W - R + 46, ly + 4, s.label));
  });
  return svgDoc(W, H, title, body);
}
