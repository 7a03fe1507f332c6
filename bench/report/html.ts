// HTML built by a tagged template that escapes by default: every value
// interpolated into html`...` is escaped unless it is itself a fragment made
// by html`...` (or by raw(), for markup this code generates). The type is
// nominal, so a string from the summary cannot pass for markup by accident.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A fragment of markup that is safe to emit as it is. */
class Fragment {
  // A private member makes the class nominal: no structurally equal object is a SafeHtml.
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

// Exported as a type only, so that nothing outside this file can construct one.
export type SafeHtml = Fragment;

/** What html`...` takes: text (escaped), fragments (as they are), lists of either, nothing for false/undefined. */
export type Interpolation = string | number | SafeHtml | readonly Interpolation[] | false | undefined;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: Interpolation): string {
  if (value === false || value === undefined) return '';
  if (value instanceof Fragment) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escape(String(value));
}

/** Markup with every interpolation escaped, except fragments made by html`` or raw(). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Fragment(out);
}

/** Trusts markup this code generated (SVG coordinates, the style sheet); never pass it text from the summary. */
export function raw(markup: string): SafeHtml {
  return new Fragment(markup);
}

/** Fragments joined by a separator. */
export function join(parts: readonly SafeHtml[], separator: SafeHtml): SafeHtml {
  return new Fragment(parts.join(separator.toString()));
}
