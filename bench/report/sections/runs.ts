// The runs a comparison merges, one row each: the column's name, the host
// (CPU, cores, platform), Node, whether it ran under an emulator, and what
// was measured when, so that a reader can tell which columns compare.

import { html, join, type SafeHtml } from '../html.js';
import { fmtBytes } from '../format.js';
import { NL, section, table, td } from './elements.js';
import { isEmulatedRun, type Merged } from '../../merge.js';

export function runsSection(merged: Merged): SafeHtml {
  const rows = merged.runs.map(({ name, file, summary: { environment: e } }) => [
    html`<th scope="row">${name}</th>`,
    td(html`${e.cpu}<div class="muted">${String(e.cores)} cores, ${fmtBytes(e.memoryBytes)}</div>`),
    td(`${e.platform}/${e.arch}`),
    td(html`${e.node}<div class="muted">V8 ${e.v8}</div>`),
    isEmulatedRun(e)
      ? td(html`<span class="badge missed">emulated</span> times not comparable`)
      : td(html`<span class="badge met">native</span>`),
    td(html`${e.date}${e.quick && html`<div class="muted">quick run</div>`}`),
    td(html`${e.version} <code>${e.commit}</code>`),
    td(html`<code>${file}</code>`),
  ]);
  const intro = html`<p class="muted">Each column of the tables below is one of these runs. A run under an emulator (qemu-user) translates every instruction: neither its times nor its ratios say what that machine would do natively.</p>`;
  return section(
    'runs',
    'Runs',
    join(
      [intro, table(['Run', 'CPU', 'Platform', 'Node', 'Emulation', 'Date', 'Version', 'Summary'], rows, 'env')],
      NL,
    ),
  );
}
