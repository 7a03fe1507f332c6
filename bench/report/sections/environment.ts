// The header a reader checks before trusting a figure: what was measured
// (version, commit, the other version of --against), on what (CPU, Node and
// V8, placement), and how steady the machine was (load, the controls' drift).

import { driftWorthWarning } from '../../analysis.js';
import { html, type SafeHtml } from '../html.js';
import { fmtBytes } from '../format.js';
import { fieldsTable, section } from './elements.js';
import type { Summary } from '../../summary.js';

export function environmentSection(summary: Summary): SafeHtml {
  const env = summary.environment;
  const drift = env.controlsDrift.toFixed(2);
  const rows: [string, SafeHtml | string][] = [
    ['CPU', env.cpu],
    ['Cores', String(env.cores)],
    ['Memory', fmtBytes(env.memoryBytes)],
    ['Node', env.node],
    ['V8', env.v8],
    ['Platform', `${env.platform}/${env.arch}`],
    [
      'Emulated',
      env.emulated
        ? html`<span class="badge missed">yes</span> under an emulator: times are not comparable with a native run's`
        : 'no',
    ],
    ['Version', html`${env.version}, commit <code>${env.commit}</code>`],
    ...(env.against === undefined
      ? []
      : [['Against', html`<code>${env.against}</code>, sampled in the same turns`] as [string, SafeHtml]]),
    ['Processes', env.placement],
    ['Load average', `${env.load.start.toFixed(2)} at the start, ${env.load.end.toFixed(2)} at the end`],
    [
      'Controls within the run',
      driftWorthWarning(env)
        ? html`<span class="badge missed">moved ×${drift}</span> the machine changed speed during the run`
        : `steady (×${drift})`,
    ],
    [
      'Quick run',
      env.quick ? html`<span class="badge missed">yes</span> reduced sampling: figures are indicative` : 'no',
    ],
    ...Object.entries(env.engines).map(([name, info]): [string, SafeHtml] => [
      `Engine ${name}`,
      html`<code>${info}</code>`,
    ]),
    ...(env.nodes ?? []).map((n): [string, SafeHtml] => [
      `Node ${n.node}`,
      html`subjects <code>…@${n.label}</code>, V8 ${n.v8}, <code>${n.path}</code>; engines: ${Object.entries(n.engines)
        .map(([name, info]) => `${name} ${info}`)
        .join(', ')}`,
    ]),
  ];
  if (summary.baseline !== undefined) rows.push(['Baseline', summary.baseline]);
  return section('environment', 'Environment', fieldsTable(rows));
}
