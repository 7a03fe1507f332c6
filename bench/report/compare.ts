// The page of `caro-cache-bench compare`: runs from other hosts or days in
// one self-contained page (inline CSS, no scripts, nothing fetched), in the
// report's style. A pure function of the merged runs (bench/merge.ts); markup
// only by html`` (html.ts), which escapes every string.

import { html, join } from './html.js';
import { STYLE_SHEET } from './style.js';
import { comparedSection } from './sections/compared.js';
import { runsSection } from './sections/runs.js';
import type { Merged } from '../merge.js';

export function renderComparison(merged: Merged): string {
  const sections = [
    { id: 'runs', name: 'Runs', body: runsSection(merged) },
    { id: 'compared', name: 'Benchmarks', body: comparedSection(merged) },
  ];
  const nav = sections.map(({ id, name }) => html`<a href="#${id}">${name}</a>`);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>caro-cache benchmarks compared, ${merged.runs.length} runs</title>
<style>${STYLE_SHEET}</style>
</head>
<body>
<main>
<header><h1>caro-cache benchmarks compared</h1>
<p class="muted">${merged.runs.map((r) => r.name).join(' · ')}</p>
<nav>${nav}</nav></header>
${join(
  sections.map((s) => s.body),
  html`\n`,
)}
</main>
</body>
</html>
`;
  return page.toString();
}
