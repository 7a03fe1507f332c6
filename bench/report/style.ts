// The page's look, kept apart from the code that lays it out: the style
// sheet and the colours the charts share with it (by subject kind, and a
// palette for one line per subject).

import { raw, type SafeHtml } from './html.js';
import type { SubjectKind } from '../summary.js';

export const KIND_COLOUR: Record<SubjectKind, string> = { engine: '#2563eb', peer: '#d97706', floor: '#6b7280' };

/** Line colours for charts with one line per subject. */
const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#4b5563',
  '#65a30d',
  '#92400e',
];

/** The colour of the i-th line of a chart. */
export function paletteColour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

// A <style> element's content is raw text (entities are not decoded there), so the sheet is trusted as it is.
export const STYLE_SHEET: SafeHtml = raw(`
:root { color-scheme: light; }
body {
  margin: 0; color: #1f2328; background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 2em; }
h3 { font-size: 1.1em; margin: 1.6em 0 0.3em; }
h4 { font-size: 1em; margin: 1.2em 0 0.3em; }
nav a { margin-right: 12px; }
a { color: #0969da; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
table.env th { background: #f6f8fa; font-weight: 600; }
.scroll { overflow-x: auto; }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.r { text-align: right; }
.muted { color: #656d76; }
.note { background: #fff8c5; border: 1px solid #eac54f; border-radius: 6px; padding: 4px 8px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; }
.met { background: #dafbe1; color: #116329; }
.missed { background: #ffebe9; color: #a40e26; }
.v-improved { color: #116329; font-weight: 600; }
.v-regressed { color: #a40e26; font-weight: 600; }
.v-no-change { color: #656d76; }
.v-inconclusive { color: #9a6700; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: baseline; }
.k-engine { background: ${KIND_COLOUR.engine}; }
.k-peer { background: ${KIND_COLOUR.peer}; }
.k-floor { background: ${KIND_COLOUR.floor}; }
svg { display: block; max-width: 100%; height: auto; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 10px; margin-top: 10px; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; }
figcaption { font-size: 13px; margin-bottom: 2px; }
code { font-size: 12px; word-break: break-all; }
details { margin: 4px 0 16px; }
`);
