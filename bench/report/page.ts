// The shell every page of the harness shares: head, inline style sheet,
// header with a table of contents, then the sections in order.

import { html, join, type SafeHtml } from './html.js';
import { STYLE_SHEET } from './style.js';

export interface Section {
  id: string;
  name: string;
  body: SafeHtml;
}

/** One self-contained page: `title` for the tab, `heading` and `subtitle` above the sections' links. */
export function renderPage(title: string, heading: string, subtitle: SafeHtml, sections: readonly Section[]): string {
  const nav = sections.map(({ id, name }) => html`<a href="#${id}">${name}</a>`);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE_SHEET}</style>
</head>
<body>
<main>
<header><h1>${heading}</h1>
<p class="muted">${subtitle}</p>
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
