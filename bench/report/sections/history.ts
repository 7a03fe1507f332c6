// The history across saved runs (<group root>/history.jsonl): per benchmark,
// one line per engine over the runs, and the runs themselves in a table.
// Runs at different times drift with the machine, so this shows trends; the
// fair comparison of two versions is --against, within one run.

import { html, join, type SafeHtml } from '../html.js';
import { countTicks, linearAxis } from '../axes.js';
import { lineChart, type LineSeries } from '../charts/lines.js';
import { paletteColour } from '../style.js';
import { NL, section, table, td } from './elements.js';
import type { HistoryRun } from '../../history.js';
import type { Summary } from '../../summary.js';

const NOTE =
  'Runs taken at different times drift with the machine (load, frequency, other tenants): ' +
  'read these lines as trends, not verdicts. Same-run comparisons (--against <git-ref>) are the fair ones.';

export function historySection(summary: Summary, runs: readonly HistoryRun[]): SafeHtml {
  if (runs.length === 0) return section('history', 'History', html`<p>No saved runs yet.</p>`);
  const axis = {
    axis: linearAxis(1, Math.max(2, runs.length), Math.min(6, Math.max(1, runs.length - 1)), false),
    fmt: countTicks(),
    label: 'saved run (oldest first)',
  };
  const charts = summary.benchmarks.flatMap((b) => {
    // This run's engines at the benchmark's default size; their figures in earlier runs where those have them.
    const engines = b.cells.filter((c) => c.kind === 'engine' && !c.subject.includes('@'));
    const series: LineSeries[] = engines.map((e, i) => ({
      label: e.subject,
      colour: paletteColour(i),
      points: runs.flatMap((run, r) =>
        run.cells
          .filter((c) => c.benchmark === b.id && c.subject === e.subject && c.entries === e.entries)
          .map((c) => ({ x: r + 1, y: { point: c.ns, lower: c.lower, upper: c.upper } })),
      ),
    }));
    if (series.length === 0) return [];
    const title = `${b.id}: mean time per ${b.target.unit} of each engine over the last ${runs.length} saved runs`;
    const chart = lineChart(title, series, axis, `time per ${b.target.unit}`);
    return [html`<div class="history" data-benchmark="${b.id}"><h3>${b.id}</h3>\n${chart}</div>`];
  });
  const rows = runs.map((run, r) => [
    td(String(r + 1), 'num r'),
    td(run.date),
    td(html`<code>${run.commit}</code>`),
    td(run.version),
    td(run.node),
  ]);
  const list = table(['Run', 'Date', 'Commit', 'Version', 'Node'], rows, 'runs');
  const note = html`<p class="note">${NOTE}</p>`;
  return section(
    'history',
    'History',
    join([note, ...charts, html`<details><summary>Runs</summary>${list}</details>`], NL),
  );
}
