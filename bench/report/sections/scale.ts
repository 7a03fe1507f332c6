// The scale series: mean time per unit against the number of entries, one
// line per subject on a log x axis, with the figures in a table beneath.

import { html, join, type SafeHtml } from '../html.js';
import { logAxis } from '../axes.js';
import { lineChart } from '../charts/lines.js';
import { fmtEntries, fmtInterval } from '../format.js';
import { paletteColour } from '../style.js';
import { kindOf, NL, section, swatch, table, td } from './elements.js';
import type { SubjectKind, Summary } from '../../summary.js';

export function scaleSection(summary: Summary, kinds: Map<string, SubjectKind>): SafeHtml {
  if (summary.scale.length === 0) return section('scale', 'Scaling', html`<p>No scale series in this summary.</p>`);
  const colours = new Map<string, string>();
  for (const s of summary.scale) if (!colours.has(s.subject)) colours.set(s.subject, paletteColour(colours.size));
  const benchmarks = [...new Set(summary.scale.map((s) => s.benchmark))];
  const charts = benchmarks.map((id) => {
    const series = summary.scale.filter((s) => s.benchmark === id);
    const unit = summary.benchmarks.find((b) => b.id === id)?.target.unit ?? 'unit';
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.entries)))].sort((a, b) => a - b);
    const positive = xs.filter((x) => x > 0);
    const chart = lineChart(
      `${id}: mean time per ${unit} against the number of entries, one line per subject`,
      series.map((s) => ({
        label: s.subject,
        colour: colours.get(s.subject)!,
        points: s.points.map((p) => ({ x: p.entries, y: p.perUnit })),
      })),
      {
        axis: logAxis(Math.min(...positive), Math.max(...positive)),
        fmt: fmtEntries,
        label: 'entries in the cache (log scale)',
      },
      `time per ${unit}`,
    );
    const rows = series.map((s) => [
      td(html`${swatch(kindOf(s.subject, kinds))}${s.subject}`),
      ...xs.map((x) => {
        const p = s.points.find((q) => q.entries === x);
        return td(p ? fmtInterval(p.perUnit) : '—', 'num');
      }),
    ]);
    const figures = table(['Subject', ...xs.map((x) => `${fmtEntries(x)} entries`)], rows);
    return html`<div class="scale" data-benchmark="${id}"><h3>${id}</h3>\n${chart}\n<details><summary>Figures</summary>${figures}</details></div>`;
  });
  const intro = html`<p class="muted">Mean time per unit against cache size, with 95% CIs.</p>`;
  return section('scale', 'Scaling', join([intro, ...charts], NL));
}
