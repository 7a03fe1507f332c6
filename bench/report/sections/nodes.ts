// The Node axis of a --node run: per benchmark, one row per engine and one
// column per Node version, each figure with its ratio to that version's own
// floor and the fastest engine under each version marked, so the table
// answers which engine wins under which Node.

import { html, join, type SafeHtml } from '../html.js';
import { fmtInterval, fmtRatio } from '../format.js';
import { NL, section, table, td } from './elements.js';
import type { NodeAxis, NodeFigure } from '../../node-axis.js';

function figureCell(f: NodeFigure | undefined): SafeHtml {
  if (f === undefined) return td('—', 'muted');
  return td([
    html`<div class="num">${f.fastest ? html`<strong>${fmtInterval(f.perUnit)}</strong>` : fmtInterval(f.perUnit)}</div>`,
    f.floorRatio !== undefined && html`<div><span class="num">${fmtRatio(f.floorRatio)}</span> floor</div>`,
    f.fastest && html`<div><span class="badge met">fastest</span></div>`,
  ]);
}

export function nodesSection(axis: NodeAxis): SafeHtml {
  const heads = axis.columns.map((c) =>
    c.label === undefined ? html`Node ${c.node} <span class="muted">(this run's)</span>` : html`Node ${c.node}`,
  );
  const tables = axis.benchmarks.map(
    (b) =>
      html`<div class="node-axis" data-benchmark="${b.id}"><h3>${b.id}</h3>\n<p class="muted">Time per ${b.unit}.</p>\n${table(
        ['Engine', ...heads],
        b.rows.map((row) => [html`<th scope="row">${row.engine}</th>`, ...row.figures.map(figureCell)]),
      )}</div>`,
  );
  const intro = html`<p class="muted">Mean time per unit with its 95% confidence interval under each Node version, sampled in the same turns; each ratio is to the floor measured under the same version.</p>`;
  return section('nodes', 'Node versions', join([intro, ...tables], NL));
}
