// Whole subjects that did not run (a peer not installed), and why.

import { html, type SafeHtml } from '../html.js';
import { section, table, td } from './elements.js';
import type { Summary } from '../../summary.js';

export function skippedSection(summary: Summary): SafeHtml {
  const body = summary.skipped.length
    ? table(
        ['Subject', 'Reason'],
        summary.skipped.map((s) => [td(s.subject), td(s.reason)]),
        'skipped',
      )
    : html`<p>Every subject ran.</p>`;
  return section('skipped', 'Skipped subjects', body);
}
