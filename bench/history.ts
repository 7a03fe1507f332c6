// The history of saved runs: <group root>/history.jsonl, one JSON line per
// run, appended and never rewritten, so runs from different checkouts and
// days pile up for the report's history chart. A line is small (the default
// cells' means), and a line torn by a killed run is skipped when read.

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from './summary.js';

export interface HistoryCell {
  benchmark: string;
  subject: string;
  entries: number;
  /** The mean per unit and its 95% CI, in ns. */
  ns: number;
  lower: number;
  upper: number;
}

export interface HistoryRun {
  date: string;
  commit: string;
  version: string;
  node: string;
  cells: HistoryCell[];
}

const FILE = 'history.jsonl';

/** This run as a history line: every subject of this version at each benchmark's default size. */
export function historyRun(summary: Summary): HistoryRun {
  const { date, commit, version, node } = summary.environment;
  const cells = summary.benchmarks.flatMap((b) =>
    b.cells
      // `engine@ref` is the other version of --against, not this run's.
      .filter((c) => !c.subject.includes('@'))
      .map((c) => ({
        benchmark: b.id,
        subject: c.subject,
        entries: c.entries,
        ns: c.perUnit.point,
        lower: c.perUnit.lower,
        upper: c.perUnit.upper,
      })),
  );
  return { date, commit, version, node, cells };
}

export function appendHistory(root: string, run: HistoryRun): void {
  appendFileSync(join(root, FILE), `${JSON.stringify(run)}\n`);
}

/** The last `count` runs saved under `root`, oldest first; lines that do not parse are skipped. */
export function readHistory(root: string, count: number): HistoryRun[] {
  const path = join(root, FILE);
  if (!existsSync(path)) return [];
  const runs: HistoryRun[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      runs.push(JSON.parse(line) as HistoryRun);
    } catch {
      // A torn line (a run killed while appending): the runs around it still count.
    }
  }
  return runs.slice(-count);
}
