// The HTML report of the benchmark harness: one self-contained page (inline
// CSS and SVG, no scripts, nothing fetched) rendered from the summary
// (bench/summary.ts, target/criterion/<group>/summary.json) and the saved
// runs before it (bench/history.ts).
//
// `renderReport` is a pure function of its inputs: the same summary and
// history always give the same page, byte for byte. Markup is built only by
// html`` (html.ts), which escapes every string it is given.

import { html } from './html.js';
import { slug } from './format.js';
import { renderPage, type Section } from './page.js';
import { benchmarksSection } from './sections/benchmark.js';
import { changeSection } from './sections/change.js';
import { environmentSection } from './sections/environment.js';
import { historySection } from './sections/history.js';
import { memorySection } from './sections/memory.js';
import { nodesSection } from './sections/nodes.js';
import { scaleSection } from './sections/scale.js';
import { skippedSection } from './sections/skipped.js';
import { summarySection } from './sections/summary.js';
import type { HistoryRun } from '../history.js';
import { nodeAxis } from '../node-axis.js';
import type { SubjectKind, Summary } from '../summary.js';

/** An anchor per benchmark, unique even where two ids slug alike. */
function anchors(summary: Summary): string[] {
  const used = new Set<string>();
  return summary.benchmarks.map((b, i) => {
    let a = `bench-${slug(b.id) || i + 1}`;
    if (used.has(a)) a += `-${i + 1}`;
    used.add(a);
    return a;
  });
}

/**
 * Renders the benchmark summary as one self-contained HTML page; `history`
 * is the saved runs to chart, oldest first (this run last).
 */
export function renderReport(summary: Summary, history: readonly HistoryRun[] = []): string {
  const kinds = new Map<string, SubjectKind>();
  for (const b of summary.benchmarks) for (const c of b.cells) if (!kinds.has(c.subject)) kinds.set(c.subject, c.kind);
  const links = anchors(summary);
  const axis = nodeAxis(summary);
  const sections: Section[] = [
    { id: 'environment', name: 'Environment', body: environmentSection(summary) },
    { id: 'summary', name: 'Summary', body: summarySection(summary, links) },
    ...(axis === undefined ? [] : [{ id: 'nodes', name: 'Node versions', body: nodesSection(axis) }]),
    { id: 'benchmarks', name: 'Benchmarks', body: benchmarksSection(summary, links) },
    ...(summary.baseline === undefined
      ? []
      : [{ id: 'changes', name: 'Change since baseline', body: changeSection(summary, kinds) }]),
    { id: 'scale', name: 'Scaling', body: scaleSection(summary, kinds) },
    { id: 'history', name: 'History', body: historySection(summary, history) },
    { id: 'memory', name: 'Memory', body: memorySection(summary, kinds) },
    { id: 'skipped', name: 'Skipped', body: skippedSection(summary) },
  ];
  const date = summary.environment.date;
  return renderPage(
    `caro-cache benchmarks, ${date}`,
    'caro-cache benchmarks',
    html`Run of <time datetime="${date}">${date}</time>${summary.environment.quick && ' · quick run'}`,
    sections,
  );
}
