// The summary table: one row per benchmark, one column per engine (its
// estimate, target verdict, ratios to its floor and best peer, and change),
// and the best peer the ratios are taken against.

import { BACKENDS } from 'caro-cache';
import { html, join, type SafeHtml } from '../html.js';
import { fmtChange, fmtInterval, fmtRatio, targetText } from '../format.js';
import { NL, section, table, td, verdictClass } from './elements.js';
import { splitSubject } from '../../node-axis.js';
import type { BenchmarkSummary, Cell, Summary } from '../../summary.js';

const ENGINES: ReadonlySet<string> = new Set(BACKENDS);

/**
 * The library's engines first, then any other subject of kind engine (the
 * model store); those of another Node version have the Node section.
 */
function engineSubjects(summary: Summary): string[] {
  const labels = new Set((summary.environment.nodes ?? []).map((n) => n.label));
  const extra = new Set<string>();
  for (const b of summary.benchmarks) {
    for (const c of b.cells) {
      const node = splitSubject(c.subject).node;
      if (c.kind === 'engine' && !ENGINES.has(c.subject) && !(node !== undefined && labels.has(node)))
        extra.add(c.subject);
    }
  }
  return [...BACKENDS, ...extra];
}

function changeLine(c: NonNullable<Cell['change']>): SafeHtml {
  return html`<div class="${verdictClass(c.verdict)}">Δ <span class="num">${fmtChange(c.mean)}</span> ${c.verdict}</div>`;
}

function ratioLine(ratio: { subject: string; ratio: number }, what: string): SafeHtml {
  return html`<div><span class="num">${fmtRatio(ratio.ratio)}</span> ${what} <span class="muted">(${ratio.subject})</span></div>`;
}

function engineCell(bench: BenchmarkSummary, subject: string): SafeHtml {
  const cell = bench.cells.find((c) => c.subject === subject);
  if (!cell) {
    const skip = bench.skipped.find((s) => s.subject === subject);
    return skip ? td(`skipped: ${skip.reason}`, 'muted') : td('—', 'muted');
  }
  const verdict = cell.targetMet === undefined ? undefined : cell.targetMet ? 'met' : 'missed';
  return td([
    html`<div class="num"><strong>${fmtInterval(cell.perUnit)}</strong></div>`,
    verdict !== undefined && html`<div><span class="badge ${verdict}">target ${verdict}</span></div>`,
    cell.floor && ratioLine(cell.floor, 'floor'),
    cell.bestPeer && ratioLine(cell.bestPeer, 'best peer'),
    cell.fastestEngine && ratioLine(cell.fastestEngine, 'fastest engine'),
    cell.change && changeLine(cell.change),
  ]);
}

/** The peer the engines' ratios are taken against (the fastest exact one), so the column and the ratios agree. */
function bestPeer(bench: BenchmarkSummary): Cell | undefined {
  const name = bench.cells.find((c) => c.bestPeer !== undefined)?.bestPeer?.subject;
  return bench.cells.find((c) => c.subject === name);
}

export function summarySection(summary: Summary, anchors: string[]): SafeHtml {
  const engines = engineSubjects(summary);
  const rows = summary.benchmarks.map((b, i) => {
    const head = html`<th scope="row"><a href="#${anchors[i]!}">${b.id}</a><div class="muted">${b.description}</div><div>target <span class="num">${targetText(b.target)}</span></div></th>`;
    const peer = bestPeer(b);
    const peerCell = peer
      ? td(html`${peer.subject}<div class="num">${fmtInterval(peer.perUnit)}</div>`)
      : td('—', 'muted');
    return [head, ...engines.map((e) => engineCell(b, e)), peerCell];
  });
  const body = rows.length
    ? table(['Benchmark', ...engines, 'best peer'], rows, 'summary')
    : html`<p>No benchmarks in this summary.</p>`;
  const intro = html`<p class="muted">Mean time per unit with its 95% confidence interval; ratios are to the engine's physical floor and to the fastest peer (below 1× is faster).</p>`;
  return section('summary', 'Summary', join([intro, body], NL));
}
