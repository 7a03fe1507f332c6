// The page of `caro-cache-bench compare`: runs from other hosts or days in
// one self-contained page (inline CSS, no scripts, nothing fetched), in the
// report's style. A pure function of the merged runs (bench/merge.ts); markup
// only by html`` (html.ts), which escapes every string.

import { html } from './html.js';
import { renderPage } from './page.js';
import { comparedSection } from './sections/compared.js';
import { runsSection } from './sections/runs.js';
import type { Merged } from '../merge.js';

export function renderComparison(merged: Merged): string {
  const sections = [
    { id: 'runs', name: 'Runs', body: runsSection(merged) },
    { id: 'compared', name: 'Benchmarks', body: comparedSection(merged) },
  ];
  return renderPage(
    `caro-cache benchmarks compared, ${merged.runs.length} runs`,
    'caro-cache benchmarks compared',
    html`${merged.runs.map((r) => r.name).join(' · ')}`,
    sections,
  );
}
