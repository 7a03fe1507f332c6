// The shape of target/criterion/cache/summary.json: everything the report
// shows, so the HTML page and benchmark-history tools read one source.

import type { Comparison, Estimates } from './stats/index.js';

export type SubjectKind = 'engine' | 'peer' | 'floor';

/** A point estimate in ns per unit with its 95% confidence interval. */
export interface Interval {
  point: number;
  lower: number;
  upper: number;
}

export interface Target {
  /** What one unit is: 'op' or 'evicted entry'. */
  unit: string;
  lowNs?: number;
  highNs: number;
  /** Where the target comes from. */
  source: string;
}

export interface Cell {
  /** 'native' | 'wasm' | 'ts' for engines, the package name for peers, 'floor:...' for floors. */
  subject: string;
  kind: SubjectKind;
  /** Entries in the cache under test. */
  entries: number;
  /** The mean per unit, from the bootstrap of the per-sample means. */
  perUnit: Interval;
  /** Per-unit time of each sample, in sampling order, for the density plot. */
  samples: number[];
  /** The iterations (batches) of each sample: its total time is samples[i] * iters[i], for the slope plot. */
  iters: number[];
  estimates: Estimates;
  outliers: { lowSevere: number; lowMild: number; highMild: number; highSevere: number };
  /** The engine's physical floor and the ratio to it, for engines. */
  floor?: { subject: string; ns: number; ratio: number };
  /** The ratio to the fastest peer on the same benchmark, for engines. */
  bestPeer?: { subject: string; ns: number; ratio: number };
  /** For `auto`: the ratio to the fastest engine on the same benchmark and size, so the default's cost shows. */
  fastestEngine?: { subject: string; ns: number; ratio: number };
  /** For engines: is the target met? */
  targetMet?: boolean;
  /** Against the baseline, when one exists, with the base's per-unit samples for the density overlay. */
  change?: Comparison & { baseline: string; baseSamples: number[] };
}

export interface BenchmarkSummary {
  id: string;
  description: string;
  target: Target;
  cells: Cell[];
  /** Subjects that could not run this benchmark, and why. */
  skipped: { subject: string; reason: string }[];
}

export interface ScaleSeries {
  benchmark: string;
  subject: string;
  /**
   * Each size's figure and, against a baseline, its change (gated like a
   * default cell's); for an engine, its ratios to the floor, the fastest
   * exact peer and (auto) the fastest engine at that size.
   */
  points: ({ entries: number; perUnit: Interval; change?: Comparison & { baseline: string } } & Pick<
    Cell,
    'floor' | 'bestPeer' | 'fastestEngine'
  >)[];
}

export interface MemoryFigure {
  subject: string;
  entries: number;
  /** (heapBytes + externalBytes) / entries. */
  bytesPerEntry: number;
  /** Growth of the JS heap after a full GC. */
  heapBytes: number;
  /** Growth of memory outside the JS heap: typed arrays, WASM memory, the addon's slot storage. */
  externalBytes: number;
}

/** A Node version the cache group also ran under (--node), besides the run's own. */
export interface NodeVersion {
  /** The suffix of its subjects' names: `ts@node22`. */
  label: string;
  /** The binary. */
  path: string;
  /** The versions the binary reports: process.version and V8's. */
  node: string;
  v8: string;
  /** Engine name -> 'loaded', or why it is unavailable under this binary. */
  engines: Record<string, string>;
}

export interface Environment {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  /** Whether Node ran under an emulator (qemu-user): its times are not comparable with a native run's. */
  emulated: boolean;
  /** The other Node versions of --node, whose subjects are named `subject@label`. */
  nodes?: NodeVersion[];
  /** Engine name -> how it was built (addon path and source hash, wasm size, ...). */
  engines: Record<string, string>;
  quick: boolean;
  /** Which CPU the benchmark processes ran on, or why they were not pinned. */
  placement: string;
  date: string;
  /** The version measured: caro-cache's package version and the git commit of its checkout, if any. */
  version: string;
  commit: string;
  /** The other version of --against, as given and as resolved. */
  against?: string;
  /** The 1-minute load average when the run started and when its measurements ended. */
  load: { start: number; end: number };
  /**
   * How much the controls (peers and floors) moved within the run: the
   * geometric mean, over them, of their last third of samples over their
   * first. Far from 1, the machine changed speed while the run went on.
   */
  controlsDrift: number;
  /** The run's noise threshold, beyond which that drift is worth a warning. */
  noiseThreshold: number;
}

export interface Summary {
  version: 1;
  environment: Environment;
  /** The baseline compared against, if any. */
  baseline?: string;
  benchmarks: BenchmarkSummary[];
  scale: ScaleSeries[];
  memory: MemoryFigure[];
  /** Whole subjects that did not run (a peer not installed). */
  skipped: { subject: string; reason: string }[];
}
