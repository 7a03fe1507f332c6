// One section per benchmark: the bar chart of every subject, fastest first,
// then per subject its density, its slope plot (criterion's regression), and
// where it has a change its density over the base's.

import { html, join, type SafeHtml } from '../html.js';
import { nsTicks } from '../axes.js';
import { barChart, type Band, type Bar } from '../charts/bars.js';
import { changeDensityPlot, densityPlot, type Changed } from '../charts/density.js';
import { slopePlot } from '../charts/slope.js';
import { fmtEntries, fmtInterval, targetText } from '../format.js';
import { KIND_COLOUR } from '../style.js';
import { NL, section, swatch } from './elements.js';
import type { BenchmarkSummary, Cell, Summary } from '../../summary.js';

/** A grid of captioned plots, one per cell, named by `kind` for the reader and for tests. */
function plots(kind: string, heading: string, intro: string, figures: SafeHtml[]): SafeHtml {
  if (figures.length === 0) return html``;
  return html`<h4>${heading}</h4>\n<p class="muted">${intro}</p>\n<div class="plots" data-plot="${kind}">\n${join(figures, NL)}\n</div>`;
}

function figure(caption: SafeHtml, plot: SafeHtml): SafeHtml {
  return html`<figure><figcaption>${caption}</figcaption>${plot}</figure>`;
}

function benchmarkSection(bench: BenchmarkSummary, anchor: string): SafeHtml {
  const unit = bench.target.unit;
  const cells = [...bench.cells].sort((a, b) => a.perUnit.point - b.perUnit.point);
  const entries = [...new Set(cells.map((c) => c.entries))];
  const label = (c: Cell): string => (entries.length > 1 ? `${c.subject} @ ${fmtEntries(c.entries)}` : c.subject);
  const bars: Bar[] = cells.map((c) => ({
    label: label(c),
    colour: KIND_COLOUR[c.kind] ?? KIND_COLOUR.peer,
    value: c.perUnit.point,
    lower: c.perUnit.lower,
    upper: c.perUnit.upper,
    text: fmtInterval(c.perUnit),
  }));
  const band: Band = { lo: bench.target.lowNs, hi: bench.target.highNs, label: `target ${targetText(bench.target)}` };
  const chart = bars.length
    ? barChart(
        `${bench.id}: mean time per ${unit} of each subject, fastest first`,
        bars,
        `time per ${unit} (mean, 95% CI)`,
        nsTicks,
        band,
      )
    : html`<p>No subject ran this benchmark.</p>`;
  const skips = bench.skipped.map((s) => html`<strong>${s.subject}</strong> (${s.reason})`);
  const skipped = skips.length > 0 && html`<p class="note">Skipped: ${join(skips, html`; `)}.</p>`;
  const name = (c: Cell): SafeHtml => html`${swatch(c.kind)}<strong>${label(c)}</strong>`;
  const densities = cells.map((c) => {
    const o = c.outliers;
    const outliers = `outliers ${o.lowMild + o.highMild} mild, ${o.lowSevere + o.highSevere} severe`;
    const caption = html`${name(c)} <span class="muted">${c.kind} · n = ${c.samples.length} · ${outliers}</span>`;
    return figure(caption, densityPlot(c, unit));
  });
  const slopes = cells.map((c) => figure(name(c), slopePlot(c, unit)));
  const changes = cells
    .filter((c): c is Changed => c.change !== undefined)
    .map((c) => figure(html`${name(c)} <span class="muted">${c.change.verdict}</span>`, changeDensityPlot(c, unit)));
  const where = entries.length === 1 && html` · cache of ${fmtEntries(entries[0]!)} entries`;
  const notes = {
    density: `Kernel density of each sample's time per ${unit}, with the samples as a rug and the mean.`,
    slope:
      "Each sample's total time against its iterations; the line through the origin is the fitted time per " +
      'iteration, the band its 95% interval.',
    change: "The density of this run's samples (solid) over the base's (dashed), on one axis.",
  };
  return html`<section class="bench" id="${anchor}" data-benchmark="${bench.id}">
<h3>${bench.id}</h3>
<p>${bench.description}${where}</p>
<p>Target <span class="num">${targetText(bench.target)}</span> <span class="muted">(${bench.target.source})</span></p>
${chart}
${skipped}
${plots('density', 'Densities', notes.density, densities)}
${plots('slope', 'Slopes', notes.slope, slopes)}
${plots('change-density', 'New against base', notes.change, changes)}
</section>`;
}

export function benchmarksSection(summary: Summary, anchors: string[]): SafeHtml {
  const legend = join(
    (['engine', 'peer', 'floor'] as const).map((k) => html`${swatch(k)}${k}`),
    html` &nbsp; `,
  );
  const body = summary.benchmarks.map((b, i) => benchmarkSection(b, anchors[i]!));
  return section(
    'benchmarks',
    'Benchmarks',
    html`<p class="legend">${legend}</p>\n${body.length ? join(body, NL) : html`<p>No benchmarks in this summary.</p>`}`,
  );
}
