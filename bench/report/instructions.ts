// The HTML page of `--measure instructions`: one self-contained page, as the
// time report is, rendered from the counts' summary.json. Per benchmark, a
// table of instructions per unit by subject and cache size, with each
// engine's change and verdict and its ratio to the fastest exact peer, and a
// bar chart of the default size; then what was skipped, and what counts
// cannot show.

import { html, join, type SafeHtml } from './html.js';
import { countTicks } from './axes.js';
import { barChart } from './charts/bars.js';
import { fmtEntries, fmtInt, fmtPct, slug } from './format.js';
import { renderPage, type Section } from './page.js';
import { fieldsTable, NL, section, table, td, verdictClass } from './sections/elements.js';
import { KIND_COLOUR } from './style.js';
import { fastestPeer, type Counted, type InstructionsSummary } from '../instructions.js';

/** Another version's subjects (`ts@main`) are drawn as the controls they are. */
const colourOf = ({ subject, kind }: Counted): string =>
  kind === 'peer' ? KIND_COLOUR.peer : subject.includes('@') ? KIND_COLOUR.floor : KIND_COLOUR.engine;

function environmentSection(summary: InstructionsSummary): SafeHtml {
  const env = summary.environment;
  const rows: [string, SafeHtml | string][] = [
    ['Counter', env.counter],
    ['V8 flags', html`<code>${env.v8Flags}</code>`],
    ['CPU', env.cpu],
    ['Node', env.node],
    ['V8', env.v8],
    ['Platform', `${env.platform}/${env.arch}`],
    ['Version', html`${env.version}, commit <code>${env.commit}</code>`],
    ...(env.against === undefined ? [] : [['Against', html`<code>${env.against}</code>`] as [string, SafeHtml]]),
    ...(summary.baseline === undefined ? [] : [['Baseline', summary.baseline] as [string, string]]),
  ];
  return section('environment', 'Environment', fieldsTable(rows));
}

function countCell(result: Counted | undefined, results: Counted[]): SafeHtml {
  if (result === undefined) return td('—', 'muted');
  const change = result.change;
  const peer = result.kind === 'engine' ? fastestPeer(results, result) : undefined;
  return td([
    html`<div class="num"><strong>${fmtInt(Math.round(result.perUnit))}</strong></div>`,
    change &&
      html`<div class="${verdictClass(change.verdict)}">Δ <span class="num">${fmtPct(change.ratio - 1)}</span> ${change.verdict}</div>`,
    peer &&
      html`<div class="muted"><span class="num">${(result.perUnit / peer.perUnit).toFixed(2)}x</span> ${peer.subject}</div>`,
  ]);
}

function benchmarkSection(benchmark: string, results: Counted[]): SafeHtml {
  const subjects = [...new Set(results.map((r) => r.subject))];
  const sizes = [...new Set(results.map((r) => r.entries))].sort((a, b) => a - b);
  const at = (subject: string, entries: number) => results.find((r) => r.subject === subject && r.entries === entries);
  const rows = subjects.map((s) => [
    html`<th scope="row">${s}</th>`,
    ...sizes.map((n) => countCell(at(s, n), results)),
  ]);
  const smallest = sizes[0]!;
  const bars = subjects.flatMap((s) => {
    const r = at(s, smallest);
    return r === undefined
      ? []
      : [{ label: s, colour: colourOf(r), value: r.perUnit, text: fmtInt(Math.round(r.perUnit)) }];
  });
  const chart = barChart(
    `${benchmark}: instructions per unit at ${fmtEntries(smallest)} entries`,
    bars,
    `instructions per unit, ${fmtEntries(smallest)} entries`,
    countTicks,
  );
  return html`<h3 id="bench-${slug(benchmark)}">${benchmark}</h3>\n${table(
    ['Subject', ...sizes.map((n) => `${fmtEntries(n)} entries`)],
    rows,
  )}\n<figure>${chart}</figure>`;
}

/** Renders the counts of one `--measure instructions` run as one self-contained HTML page. */
export function renderInstructionsReport(summary: InstructionsSummary): string {
  const benchmarks = [...new Set(summary.results.map((r) => r.benchmark))];
  const counts = benchmarks.length
    ? join(
        benchmarks.map((b) =>
          benchmarkSection(
            b,
            summary.results.filter((r) => r.benchmark === b),
          ),
        ),
        NL,
      )
    : html`<p>No cell was counted.</p>`;
  const intro = html`<p class="muted">Instructions per unit of each benchmark (an operation or an evicted entry), the median of ${summary.batches} counted batches; a change is the ratio to the ${summary.environment.against === undefined ? 'saved baseline' : 'other version'} counted the same way.</p>`;
  const skipped = summary.skipped.length
    ? html`<ul>${summary.skipped.map((s) => html`<li>${s}</li>`)}</ul>`
    : html`<p>Every cell was counted.</p>`;
  const sections: Section[] = [
    { id: 'environment', name: 'Environment', body: environmentSection(summary) },
    { id: 'counts', name: 'Counts', body: section('counts', 'Counts', html`${intro}\n${counts}`) },
    { id: 'skipped', name: 'Skipped', body: section('skipped', 'Skipped cells', skipped) },
    {
      id: 'limits',
      name: 'What counts miss',
      body: section(
        'limits',
        'What counts cannot show',
        html`<p>An instruction that waits 100 ns for memory counts as one, so counts are blind to cache misses and memory stalls (the 10⁶ series is left out for that reason) and to the kernel's work. Time mode measures those.</p>`,
      ),
    },
  ];
  const date = summary.environment.date;
  return renderPage(
    `caro-cache instruction counts, ${date}`,
    'caro-cache instruction counts',
    html`Run of <time datetime="${date}">${date}</time> · counted under ${summary.environment.counter}`,
    sections,
  );
}
