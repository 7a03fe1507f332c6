// The Node axis of a --node run: every subject measured under each listed
// Node version, those of another version than the run's own named
// `subject@label` (`ts@node22`). Each version is its own world: its engines'
// floors and best peer are its own floors and peers, so a ratio says how
// close an engine comes to what that V8 can do at all. Pure functions; the
// binaries are node-versions.ts's.

import { BACKENDS } from 'caro-cache';
import { relate } from './analysis.js';
import type { Cell, Interval, Summary, Target } from './summary.js';

/** `ts@node22` as its subject and Node label; a subject of the run's own Node has no label. */
export function splitSubject(name: string): { subject: string; node?: string } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { subject: name } : { subject: name.slice(0, at), node: name.slice(at + 1) };
}

/** `subject` under the Node version `label` (the run's own where undefined). */
export function underNode(subject: string, label: string | undefined): string {
  return label === undefined ? subject : `${subject}@${label}`;
}

/**
 * relate() (floor and peer ratios, target verdicts) within each Node version:
 * the cells of version `label` against that version's floors and peers.
 */
export function relateByNode(
  cells: Cell[],
  target: Target,
  exactPeers: ReadonlySet<string>,
  floors: Record<string, string[]>,
  labels: readonly string[],
): void {
  for (const label of [undefined, ...labels]) {
    const own = cells.filter((c) => splitSubject(c.subject).node === label);
    const peers = new Set([...exactPeers].map((p) => underNode(p, label)));
    const renamed = Object.fromEntries(
      Object.entries(floors).map(([engine, parts]) => [
        underNode(engine, label),
        parts.map((p) => underNode(p, label)),
      ]),
    );
    relate(own, target, peers, renamed);
  }
}

/** One engine's figure under one Node version. */
export interface NodeFigure {
  perUnit: Interval;
  /** The ratio to that version's own floor, where the benchmark has one. */
  floorRatio?: number;
  /** The fastest engine of the benchmark under that version. */
  fastest: boolean;
}

export interface NodeAxis {
  /** The run's own Node first, then the others in the order listed. */
  columns: { label?: string; node: string }[];
  benchmarks: { id: string; unit: string; rows: { engine: string; figures: (NodeFigure | undefined)[] }[] }[];
}

/** Per benchmark and engine, the figure under each Node version; undefined for a run without --node. */
export function nodeAxis(summary: Summary): NodeAxis | undefined {
  const others = summary.environment.nodes ?? [];
  if (others.length === 0) return undefined;
  const columns: NodeAxis['columns'] = [
    { node: summary.environment.node },
    ...others.map((n) => ({ label: n.label, node: n.node })),
  ];
  const benchmarks = summary.benchmarks.map((b) => {
    const cellsOf = columns.map(({ label }) =>
      BACKENDS.map((engine) => b.cells.find((c) => c.subject === underNode(engine, label))),
    );
    const fastest = cellsOf.map((cells) =>
      Math.min(...cells.flatMap((c) => (c === undefined ? [] : [c.perUnit.point]))),
    );
    const rows = BACKENDS.map((engine, e) => ({
      engine,
      figures: columns.map((_, v): NodeFigure | undefined => {
        const cell = cellsOf[v]![e];
        if (cell === undefined) return undefined;
        return { perUnit: cell.perUnit, floorRatio: cell.floor?.ratio, fastest: cell.perUnit.point === fastest[v] };
      }),
    })).filter((row) => row.figures.some((f) => f !== undefined));
    return { id: b.id, unit: b.target.unit, rows };
  });
  return { columns, benchmarks: benchmarks.filter((b) => b.rows.length > 0) };
}
