// SVG primitives for inline charts. Coordinates are rounded to 0.1 px, so a
// page is small and the same summary always gives the same bytes. Fonts and
// colours are presentation attributes, so a chart copied out of the page
// still renders as it did in it.

import { html, type SafeHtml } from './html.js';

/** A coordinate rounded to 0.1 px (non-finite values become 0). */
export function px(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '0';
}

/** A list of points as an SVG `points` attribute value. */
function points(xy: readonly (readonly [number, number])[]): string {
  return xy.map(([x, y]) => `${px(x)},${px(y)}`).join(' ');
}

const FONT = html`font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="11" fill="#1f2328"`;

/** An accessible SVG element: role="img" and its title first. */
export function svgDoc(width: number, height: number, title: string, body: SafeHtml | SafeHtml[]): SafeHtml {
  return html`<svg role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT}><title>${title}</title>${body}</svg>`;
}

/** Extra attributes after the fixed ones, with the space before them. */
function more(attrs: SafeHtml | undefined): SafeHtml | undefined {
  return attrs && html` ${attrs}`;
}

export function text(x: number, y: number, content: string, attrs?: SafeHtml): SafeHtml {
  return html`<text x="${px(x)}" y="${px(y)}"${more(attrs)}>${content}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, attrs: SafeHtml): SafeHtml {
  return html`<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" ${attrs}/>`;
}

export function rect(x: number, y: number, w: number, h: number, attrs: SafeHtml): SafeHtml {
  return html`<rect x="${px(x)}" y="${px(y)}" width="${px(Math.max(0, w))}" height="${px(h)}" ${attrs}/>`;
}

export function circle(x: number, y: number, r: number, colour: string, attrs?: SafeHtml): SafeHtml {
  return html`<circle cx="${px(x)}" cy="${px(y)}" r="${r}" fill="${colour}"${more(attrs)}/>`;
}

export function polyline(
  xy: readonly (readonly [number, number])[],
  colour: string,
  width: number,
  attrs?: SafeHtml,
): SafeHtml {
  return html`<polyline points="${points(xy)}" fill="none" stroke="${colour}" stroke-width="${width}"${more(attrs)}/>`;
}

/** A closed, filled polygon (a confidence band, the area under a density). */
export function polygon(xy: readonly (readonly [number, number])[], colour: string, opacity: number): SafeHtml {
  return html`<polygon points="${points(xy)}" fill="${colour}" fill-opacity="${opacity}"/>`;
}

export const AXIS = html`stroke="#57606a"`;
export const GRID = html`stroke="#e5e7eb"`;
const WHISKER = html`stroke="#111827" stroke-width="1.2"`;

/** A horizontal whisker with end caps. */
export function whiskerH(x1: number, x2: number, y: number): SafeHtml[] {
  return [line(x1, y, x2, y, WHISKER), line(x1, y - 5, x1, y + 5, WHISKER), line(x2, y - 5, x2, y + 5, WHISKER)];
}

/** A vertical whisker with end caps. */
export function whiskerV(x: number, y1: number, y2: number, colour: string): SafeHtml[] {
  const s = html`stroke="${colour}" stroke-width="1.2"`;
  return [line(x, y1, x, y2, s), line(x - 4, y1, x + 4, y1, s), line(x - 4, y2, x + 4, y2, s)];
}
