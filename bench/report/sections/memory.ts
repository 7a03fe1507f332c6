// Memory per entry: a bar chart, smallest first, and the table of heap and
// external bytes it is made of.

import { html, join, type SafeHtml } from '../html.js';
import { bytesTicks } from '../axes.js';
import { barChart, type Bar } from '../charts/bars.js';
import { fmtBytes, fmtEntries, fmtInt } from '../format.js';
import { KIND_COLOUR } from '../style.js';
import { kindOf, NL, section, swatch, table, td } from './elements.js';
import type { SubjectKind, Summary } from '../../summary.js';

export function memorySection(summary: Summary, kinds: Map<string, SubjectKind>): SafeHtml {
  if (summary.memory.length === 0) return section('memory', 'Memory', html`<p>No memory figures in this summary.</p>`);
  const figures = [...summary.memory].sort((a, b) => a.bytesPerEntry - b.bytesPerEntry);
  const manyEntries = new Set(figures.map((m) => m.entries)).size > 1;
  const label = (subject: string, entries: number): string =>
    manyEntries ? `${subject} @ ${fmtEntries(entries)}` : subject;
  const bars: Bar[] = figures.map((m) => ({
    label: label(m.subject, m.entries),
    colour: KIND_COLOUR[kindOf(m.subject, kinds)],
    value: m.bytesPerEntry,
    text: fmtBytes(m.bytesPerEntry),
  }));
  const chart = barChart(
    'Memory: bytes per cache entry of each subject, smallest first',
    bars,
    'bytes per entry',
    bytesTicks,
  );
  const rows = figures.map((m) => [
    td(html`${swatch(kindOf(m.subject, kinds))}${m.subject}`),
    td(fmtInt(m.entries), 'num r'),
    td(fmtBytes(m.bytesPerEntry), 'num r'),
    td(fmtBytes(m.heapBytes), 'num r'),
    td(fmtBytes(m.externalBytes), 'num r'),
  ]);
  const intro = html`<p class="muted">(JS heap + external + WASM memory growth) / entries.</p>`;
  const figuresTable = table(['Subject', 'Entries', 'Bytes per entry', 'JS heap', 'External'], rows, 'memory');
  return section('memory', 'Memory', join([intro, chart, figuresTable], NL));
}
