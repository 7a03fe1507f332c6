// The merged table of a comparison, one per benchmark: a row per subject, a
// column per run, each time beside its ratio to the floor of its own run,
// which is the figure that compares across hosts. An emulated run's column
// is marked and its figures muted.

import { html, join, type SafeHtml } from '../html.js';
import { fmtInterval, fmtRatio } from '../format.js';
import { NL, section, swatch, table, td } from './elements.js';
import { isEmulatedRun, type Merged, type MergedFigure } from '../../merge.js';

function figureCell(f: MergedFigure | undefined, emulated: boolean): SafeHtml {
  if (f === undefined) return td('—', 'muted');
  return td(
    [
      html`<div class="num">${fmtInterval(f.perUnit)}</div>`,
      f.floorRatio !== undefined && html`<div><span class="num">${fmtRatio(f.floorRatio)}</span> floor</div>`,
      emulated && html`<div>not comparable</div>`,
    ],
    emulated ? 'muted' : undefined,
  );
}

export function comparedSection(merged: Merged): SafeHtml {
  const emulated = merged.runs.map((r) => isEmulatedRun(r.summary.environment));
  const heads = merged.runs.map((r, i) =>
    emulated[i] ? html`${r.name} <span class="badge missed">emulated</span>` : html`${r.name}`,
  );
  const tables = merged.benchmarks.map(
    (b) =>
      html`<div class="compared" data-benchmark="${b.id}"><h3>${b.id}</h3>\n<p>${b.description} <span class="muted">(time per ${b.unit})</span></p>\n${table(
        ['Subject', ...heads],
        b.rows.map((row) => [
          html`<th scope="row">${swatch(row.kind)}${row.subject}</th>`,
          ...row.figures.map((f, i) => figureCell(f, emulated[i]!)),
        ]),
      )}</div>`,
  );
  const intro = html`<p class="muted">Mean time per unit with its 95% confidence interval in each run, and an engine's ratio to its physical floor measured in the same run (below 1× is faster).</p>`;
  const body = tables.length ? tables : [html`<p>No benchmarks in these summaries.</p>`];
  return section('compared', 'Benchmarks', join([intro, ...body], NL));
}
