// The pieces every section is made of: the section itself, tables, cells,
// the colour swatch of a subject kind, and the class of a verdict.

import { BACKENDS } from 'caro-cache';
import { html, join, type Interpolation, type SafeHtml } from '../html.js';
import { slug } from '../format.js';
import type { SubjectKind } from '../../summary.js';

const ENGINES: ReadonlySet<string> = new Set(BACKENDS);

/** A line break between blocks, so the page's source reads one block a line. */
export const NL = html`\n`;

export function section(id: string, heading: string, body: Interpolation): SafeHtml {
  return html`<section id="${id}"><h2>${heading}</h2>\n${body}\n</section>`;
}

export function table(head: Interpolation[], rows: SafeHtml[][], cls?: string): SafeHtml {
  const th = head.map((h) => html`<th scope="col">${h}</th>`);
  const trs = rows.map((r) => html`<tr>${r}</tr>`);
  const open = cls ? html`<table class="${cls}">` : html`<table>`;
  return html`<div class="scroll">${open}<thead><tr>${th}</tr></thead>\n<tbody>\n${join(trs, NL)}\n</tbody></table></div>`;
}

/** A table of named values, one row each: the header of a report. */
export function fieldsTable(rows: readonly (readonly [string, Interpolation])[]): SafeHtml {
  const trs = rows.map(([name, value]) => html`<tr><th scope="row">${name}</th><td>${value}</td></tr>`);
  return html`<table class="env"><tbody>${join(trs, NL)}</tbody></table>`;
}

export function td(content: Interpolation, cls?: string): SafeHtml {
  return cls ? html`<td class="${cls}">${content}</td>` : html`<td>${content}</td>`;
}

/** A subject's kind: from the cells where it has one, else from its name. */
export function kindOf(subject: string, kinds: Map<string, SubjectKind>): SubjectKind {
  return kinds.get(subject) ?? (ENGINES.has(subject) ? 'engine' : subject.startsWith('floor:') ? 'floor' : 'peer');
}

export function swatch(kind: SubjectKind): SafeHtml {
  return html`<span class="swatch k-${kind}"></span>`;
}

export function verdictClass(verdict: string): string {
  return `v-${slug(verdict)}`;
}
