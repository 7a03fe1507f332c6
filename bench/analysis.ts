// From raw samples to the summary: per-unit estimates, outliers, ratios to
// floors and peers, target verdicts, changes against a baseline, and the
// regression gate. Pure functions; run.ts does the I/O.

import { classifyOutliers, estimates, type Comparison, type Estimates } from './stats/index.js';
import type { Cell, SubjectKind, Summary, Target } from './summary.js';

export interface RawSample {
  subject: string;
  kind: SubjectKind;
  benchmark: string;
  entries: number;
  unitsPerBatch: number;
  iters: number[];
  times: number[];
  /** Which process took each sample, where more than one did (see IterSample). */
  processes?: number[];
}

/**
 * Adds the samples of one process to `raws`: a new cell, or more samples of
 * a cell already there (a replica, or a gate round), labelled with a process
 * number of their own.
 */
export function addSamples(raws: RawSample[], raw: RawSample): void {
  const old = raws.find((r) => r.benchmark === raw.benchmark && r.subject === raw.subject && r.entries === raw.entries);
  if (old === undefined) {
    raws.push(raw);
    return;
  }
  const labels = old.processes ?? old.iters.map(() => 0);
  const label = Math.max(...labels) + 1;
  old.processes = [...labels, ...raw.iters.map(() => label)];
  old.iters = [...old.iters, ...raw.iters];
  old.times = [...old.times, ...raw.times];
}

/** A sample in criterion's shape: batches per sample, and each sample's total ns divided by the units in one batch. */
export interface UnitSample {
  iters: number[];
  times: number[];
  processes?: number[];
}

/** Criterion works per iteration; here one iteration is a batch, so times are divided into units. */
export function perUnit(raw: Pick<RawSample, 'iters' | 'times' | 'unitsPerBatch' | 'processes'>): UnitSample {
  const sample: UnitSample = { iters: raw.iters, times: raw.times.map((t) => t / raw.unitsPerBatch) };
  if (raw.processes !== undefined) sample.processes = raw.processes;
  return sample;
}

/** Each sample's time per iteration (for a UnitSample, per unit), in sampling order. */
export function perIteration(sample: Pick<UnitSample, 'iters' | 'times'>): number[] {
  return sample.times.map((t, i) => t / sample.iters[i]);
}

/** The cell for the summary, its criterion estimates, and the per-unit sample they came from. */
export function analyse(raw: RawSample, resamples: number): { cell: Cell; estimates: Estimates; sample: UnitSample } {
  const sample = perUnit(raw);
  const est = estimates(sample, { resamples });
  const samples = perIteration(sample);
  const { counts } = classifyOutliers(samples);
  const mean = est.mean;
  return {
    sample,
    estimates: est,
    cell: {
      subject: raw.subject,
      kind: raw.kind,
      entries: raw.entries,
      perUnit: {
        point: mean.point_estimate,
        lower: mean.confidence_interval.lower_bound,
        upper: mean.confidence_interval.upper_bound,
      },
      samples,
      iters: sample.iters,
      estimates: est,
      outliers: {
        lowSevere: counts.lowSevere,
        lowMild: counts.lowMild,
        highMild: counts.highMild,
        highSevere: counts.highSevere,
      },
    },
  };
}

/**
 * Fills in floor and peer ratios and target verdicts on one benchmark's
 * engine cells; `floors` names the floor cells whose sum is each engine's floor.
 */
export function relate(
  cells: Cell[],
  target: Target,
  exactPeers: Set<string>,
  floors: Record<string, string[]> = {},
): void {
  const byName = new Map(cells.map((c) => [c.subject, c]));
  const peers = cells.filter((c) => c.kind === 'peer' && exactPeers.has(c.subject));
  const best = fastestOf(peers);
  for (const cell of cells) {
    if (cell.kind !== 'engine') continue;
    const ns = cell.perUnit.point;
    cell.targetMet = ns <= target.highNs;
    const parts = (floors[cell.subject] ?? []).map((name) => byName.get(name));
    if (parts.length > 0 && parts.every((p) => p !== undefined)) {
      const floorNs = parts.reduce((sum, p) => sum + p!.perUnit.point, 0);
      cell.floor = { subject: floors[cell.subject].join(' + '), ns: floorNs, ratio: ns / floorNs };
    }
    if (best !== undefined)
      cell.bestPeer = { subject: best.subject, ns: best.perUnit.point, ratio: ns / best.perUnit.point };
  }
  const auto = byName.get('auto');
  const fastest = fastestOf(cells.filter((c) => c.kind === 'engine' && c !== auto));
  if (auto !== undefined && fastest !== undefined)
    auto.fastestEngine = {
      subject: fastest.subject,
      ns: fastest.perUnit.point,
      ratio: auto.perUnit.point / fastest.perUnit.point,
    };
}

function fastestOf(cells: Cell[]): Cell | undefined {
  return cells.reduce<Cell | undefined>(
    (a, c) => (a === undefined || c.perUnit.point < a.perUnit.point ? c : a),
    undefined,
  );
}

/**
 * The controls' drift within one run: for each peer and floor, the mean of
 * its last third of per-iteration times over that of its first third, and
 * the geometric mean of those ratios (1 when there are no controls).
 */
export function controlsDrift(raws: RawSample[]): number {
  const ratios = raws
    .filter((r) => r.kind !== 'engine' && r.times.length >= 6)
    .map((r) => {
      const perIter = r.times.map((t, i) => t / r.iters[i]);
      const third = Math.floor(perIter.length / 3);
      const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return avg(perIter.slice(-third)) / avg(perIter.slice(0, third));
    });
  return ratios.length === 0 ? 1 : Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
}

/** Whether the controls moved within the run by more than its noise threshold, either way. */
export function driftWorthWarning(env: { controlsDrift: number; noiseThreshold: number }): boolean {
  return Math.abs(Math.log(env.controlsDrift)) > Math.log1p(env.noiseThreshold);
}

/** What the gate makes of one change: a regression beyond its threshold shown, ruled out, or neither yet. */
export type GateReading = 'regressed' | 'passed' | 'inconclusive';

/**
 * The gate's reading of a change against `percent`: regressed when the whole
 * interval of the change (net of the controls' drift) lies above it and the
 * difference is significant, passed when the whole interval lies at or
 * below it, and inconclusive otherwise: a wide interval never passes.
 */
export function gateReading(change: Comparison, percent: number): GateReading {
  const { lower_bound: lower, upper_bound: upper } = change.mean.confidence_interval;
  if (lower > percent / 100 && change.pValue < change.significance) return 'regressed';
  if (upper <= percent / 100) return 'passed';
  return 'inconclusive';
}

/** A gated change: the project's own subjects (engines, the store), at the default size and along the scale series. */
export interface Gated {
  benchmark: string;
  subject: string;
  entries: number;
  change: Comparison;
}

/** The changes the gate reads in one summary; peers and floors are controls, not gated. */
export function gated(summary: Summary): Gated[] {
  const cells = summary.benchmarks.flatMap((b) =>
    b.cells
      .filter((c) => c.kind === 'engine' && c.change !== undefined)
      .map((c) => ({ benchmark: b.id, subject: c.subject, entries: c.entries, change: c.change! })),
  );
  const defaults = new Set(cells.map((c) => `${c.benchmark}/${c.subject}/${c.entries}`));
  const points = summary.scale.flatMap((series) =>
    series.points
      .filter((p) => p.change !== undefined && !defaults.has(`${series.benchmark}/${series.subject}/${p.entries}`))
      .filter(() => !series.subject.startsWith('floor:'))
      .map((p) => ({ benchmark: series.benchmark, subject: series.subject, entries: p.entries, change: p.change! })),
  );
  return [...cells, ...points];
}
