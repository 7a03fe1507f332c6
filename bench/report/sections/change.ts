// The change since the baseline: every cell and every point of the scale
// series that has one (the scale series is where the size targets live, and
// the gate reads it too), with the rule the verdicts follow.

import { html, join, type SafeHtml } from '../html.js';
import { fmtChange, fmtEntries, fmtP, fmtPct, sig } from '../format.js';
import { kindOf, NL, section, swatch, table, td, verdictClass } from './elements.js';
import type { ScaleSeries, SubjectKind, Summary } from '../../summary.js';

/** A change as a cell and a point of the scale series both carry it. */
type Change = NonNullable<ScaleSeries['points'][number]['change']>;

interface Row {
  benchmark: string;
  subject: string;
  entries: number;
  change: Change;
}

/** The default cells' changes, then the scale series' at the sizes the cells do not cover. */
function changes(summary: Summary): Row[] {
  const cells = summary.benchmarks.flatMap((b) =>
    b.cells.flatMap((c) =>
      c.change ? [{ benchmark: b.id, subject: c.subject, entries: c.entries, change: c.change }] : [],
    ),
  );
  const seen = new Set(cells.map((r) => `${r.benchmark}/${r.subject}/${r.entries}`));
  const points = summary.scale.flatMap((s) =>
    s.points.flatMap((p) =>
      p.change && !seen.has(`${s.benchmark}/${s.subject}/${p.entries}`)
        ? [{ benchmark: s.benchmark, subject: s.subject, entries: p.entries, change: p.change }]
        : [],
    ),
  );
  return [...cells, ...points];
}

function rule(first: Change, netOfControls: boolean): string {
  return (
    ` Changes within ±${sig(first.noiseThreshold * 100)} % are noise; ` +
    `significance level ${first.significance}; ` +
    `no change needs the whole interval within ±${sig(first.threshold * 100)} %, else the change is inconclusive. ` +
    (netOfControls
      ? "Engines' changes are net of the drift of the peers and floors measured beside them in both runs."
      : 'Changes are not normalised.')
  );
}

export function changeSection(summary: Summary, kinds: Map<string, SubjectKind>): SafeHtml {
  const all = changes(summary);
  const rows = all.map((r) => [
    td(r.benchmark),
    td(html`${swatch(kindOf(r.subject, kinds))}${r.subject}`),
    td(fmtEntries(r.entries), 'num r'),
    td(fmtChange(r.change.mean), 'num'),
    td(fmtPct(r.change.median.point_estimate), 'num'),
    td(fmtP(r.change.pValue), 'num'),
    td(r.change.verdict, verdictClass(r.change.verdict)),
    td(r.change.baseline),
  ]);
  const netOfControls = all.some((r) => r.change.normalisation === 'controls');
  const body = rows.length
    ? table(
        ['Benchmark', 'Subject', 'Entries', 'Mean change [95% CI]', 'Median change', 'p-value', 'Verdict', 'Baseline'],
        rows,
        'changes',
      )
    : html`<p>No cell has a change against the baseline.</p>`;
  const rules = all[0] && rule(all[0].change, netOfControls);
  const intro = html`<p>Against baseline <strong>${summary.baseline ?? ''}</strong>; positive is slower.${rules}</p>`;
  return section('changes', 'Change since baseline', join([intro, body], NL));
}
