// `caro-cache-bench` (`npm run bench` in a clone, `caro-cache bench` where
// both packages are installed): two groups of the same four benchmarks, each
// subject in its own process, all on one CPU. `cache`: every engine beside
// the floors and the npm peers, every subject of a benchmark at every size
// sampled in turn (processes.ts). `models`: the on-disk store beside the JSON
// manifests it replaces. Then, per group, criterion's statistics and files, a
// summary, an HTML report, the baseline comparison and the gates. With
// --node, every subject of the cache group runs under each listed Node
// version too, in the same turns (node-axis.ts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableBackends } from 'caro-cache';
import { wasmModuleBytes } from 'caro-cache/internal';
import {
  addSamples,
  analyse,
  controlsDrift,
  driftWorthWarning,
  gated,
  gateReading,
  perIteration,
  type RawSample,
} from './analysis.js';
import { baselineExists, cellDir, readBaseline, saveBaseline, writeChange, writeJson, writeNew } from './criterion.js';
import { ENGINE_FLOORS, floorsOf, SCALED_FLOORS } from './floors.js';
import { appendHistory, historyRun, readHistory } from './history.js';
import { renderReport } from './report/index.js';
import { compare, comparePaired } from './stats/index.js';
import { PEERS } from './subjects.js';
import type {
  BenchmarkSummary,
  Cell,
  MemoryFigure,
  NodeVersion,
  ScaleSeries,
  SubjectKind,
  Summary,
  Target,
} from './summary.js';
import type { SamplerOptions } from './sampler.js';
import type { Job, WorkerResult } from './worker.js';
import {
  MODEL_BENCHMARKS,
  MODEL_SAMPLER,
  MODEL_SAMPLER_QUICK,
  MODEL_SUBJECTS,
  type ModelJob,
  type ModelSample,
} from './models.js';
import { prepareAgainst, type Against } from './against.js';
import { counter, runInstructions, type CountCell } from './instructions.js';
import { emulated } from './host.js';
import { nodeAxis, relateByNode, splitSubject, underNode } from './node-axis.js';
import { nodeVersions } from './node-versions.js';
import { interleave, placement, runProcess, type Placement } from './processes.js';
import { BENCHMARKS } from './workloads.js';
import { GROUPS, parse, USAGE, type Options } from './options.js';

const DEFAULT_ENTRIES: Record<string, number> = {
  get_model_hit: 100,
  get_model_hit_zipf: 100,
  add_model: 100,
  remove_model: 100,
  lru_eviction_full: 50,
};
const SCALE = [100, 1_000, 10_000, 1_000_000];
// Filling caches of a million entries dominates a quick run, so it stops at 10^4.
const QUICK_SCALE = [100, 1_000, 10_000];
/** The largest size of the scale series at which the exact peers run too. */
const PEER_SCALE_ENTRIES = 10_000;
const SCALED = ['get_model_hit', 'get_model_hit_zipf', 'add_model', 'remove_model'];
const MEMORY_ENTRIES = 1_000_000;
/** Saved runs the report's history chart shows, this one included. */
const HISTORY_RUNS = 30;
/**
 * Processes per engine cell (and version, with --against) in a run that is a
 * gate's evidence (options.ts `replicated`); more come from the gate's rounds.
 */
const REPLICAS = 2;
const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));
const modelsPath = fileURLToPath(new URL('./models.js', import.meta.url));

/** A result and the subject that gave it. */
interface Measured {
  subject: string;
  kind: SubjectKind;
  result: WorkerResult | ModelSample;
}

/** Which cells of a benchmark (a subject at some number of entries) a gate round samples again. */
export type Keep = (benchmark: string, cell: Pick<Measuring, 'name' | 'kind' | 'entries'>) => boolean;

/**
 * The cells a gate round samples again: the undecided engines, and what
 * judges each of them: with --against (`against` is the other version's
 * label) its twin of that version, else the controls at the same benchmark
 * and size, since a change against a saved baseline is taken net of them.
 */
export function roundCells(
  undecided: readonly { benchmark: string; subject: string; entries: number }[],
  against: string | undefined,
): Keep {
  return (benchmark, { name, kind, entries }) =>
    undecided.some(
      (u) =>
        u.benchmark === benchmark &&
        u.entries === entries &&
        (name === u.subject || (against === undefined ? kind !== 'engine' : name === `${u.subject}@${against}`)),
    );
}

/** One step of a group's measurement: one or more benchmark processes. */
interface Step {
  /** What it runs: with `keep`, of a gate round. */
  label(keep?: Keep): string;
  /** The benchmarks it samples; a gate that needs more samples of one runs its steps again. */
  benchmarks: string[];
  /** Runs it; with `keep`, only the processes of the cells it keeps, where the step has a process per cell. */
  run(keep?: Keep): Promise<Measured[]>;
}

/** A group of benchmarks with its own output directory, summary and report. */
interface Group {
  name: (typeof GROUPS)[number];
  benchmarks: { id: string; description: string; target: Target; entries: number }[];
  /** The subjects an engine's `bestPeer` ratio is taken against. */
  exactPeers: Set<string>;
  steps: Step[];
  skipped: Summary['skipped'];
}

/** A subject measured at some number of entries. */
interface Measuring {
  name: string;
  kind: SubjectKind;
  entries: number;
  /** Another version's worker, for a subject of --against (named `engine@version`). */
  script?: string;
  /** V8's hash seed (1 unless set): with --against, replica k of either version gets seed k, so that pairs lay out their Maps alike. */
  hashSeed?: number;
  /** Another Node binary, for a subject of --node (named `subject@label`). */
  node?: string;
  /** Why it cannot run this benchmark (another version that lacks it): reported as skipped, not run. */
  absent?: string;
}

/**
 * One benchmark of the cache group: every subject at every size it runs at
 * (the default cell, and the scale series where there is one), sampled in
 * turn, so that ratios within the cell and growth along the series are both
 * taken side by side.
 */
function benchmarkStep(
  benchmark: string,
  measured: Measuring[],
  sampler: SamplerOptions,
  cpu: number | undefined,
): Step {
  const running = (keep?: Keep) =>
    measured.filter((m) => m.absent === undefined && (keep === undefined || keep(benchmark, m)));
  return {
    label: (keep) => `${benchmark} (${running(keep).length} processes in turn)`,
    benchmarks: [benchmark],
    async run(keep) {
      const jobsOf = running(keep);
      const absent = measured.flatMap(({ name, kind, entries, absent: reason }) =>
        reason === undefined
          ? []
          : [{ subject: name, kind, result: { type: 'skip', benchmark, entries, reason } satisfies WorkerResult }],
      );
      const jobs = jobsOf.map(({ name, kind, entries, script, hashSeed, node }) => ({
        name: `${name} at ${entries} entries`,
        script,
        hashSeed,
        node,
        job: { type: 'cell', subject: splitSubject(name).subject, kind, benchmark, entries, sampler } satisfies Job,
      }));
      const results = await interleave<WorkerResult>(workerPath, jobs, cpu);
      return [...results.map((result, i) => ({ subject: jobsOf[i].name, kind: jobsOf[i].kind, result })), ...absent];
    },
  };
}

/** The memory figure of one subject, in a process of its own. */
function memoryStep(subject: string, kind: 'engine' | 'peer', cpu: number | undefined): Step {
  return {
    label: () => `memory of ${subject} at ${MEMORY_ENTRIES} entries`,
    benchmarks: [],
    async run() {
      const job: Job = { type: 'memory', subject, kind, entries: MEMORY_ENTRIES };
      return (await runProcess<WorkerResult>(workerPath, job, subject, cpu)).map((result) => ({
        subject,
        kind,
        result,
      }));
    },
  };
}

/**
 * The engine processes of one benchmark. One that the other version of
 * --against lacks runs on this version's engines only; the other version's
 * are reported as skipped, once each.
 */
export function enginesFor<T extends { name: string; script?: string }>(
  id: string,
  engines: T[],
  against: Pick<Against, 'label' | 'worker' | 'benchmarks'> | undefined,
): (T & { absent?: string })[] {
  if (against === undefined || against.benchmarks.has(id)) return engines;
  const absent = new Map(
    engines
      .filter((e) => e.script === against.worker)
      .map((e) => [e.name, { ...e, absent: `${against.label} has no benchmark ${id}` }]),
  );
  return [...engines.filter((e) => e.script !== against.worker), ...absent.values()];
}

/** The peers that load here; each one that does not is added to `skipped`. */
function installedPeers(skipped: Summary['skipped']): (typeof PEERS)[number][] {
  return PEERS.filter((peer) => {
    try {
      peer.load();
      return true;
    } catch {
      skipped.push({ subject: peer.name, reason: 'not installed (a dependency of caro-cache-bench)' });
      return false;
    }
  });
}

/** The in-memory caches: engines, npm peers and floors. */
function cacheGroup(
  options: Options,
  cpu: number | undefined,
  against: Against | undefined,
  nodes: NodeVersion[],
): Group | undefined {
  const benchmarks = BENCHMARKS.filter((b) => options.filter.test(b.id)).map((b) => ({
    ...b,
    entries: DEFAULT_ENTRIES[b.id],
  }));
  if (benchmarks.length === 0) return undefined;
  const sampler = options.sampling(
    options.quick ? { warmUpMs: 100, measureMs: 250, samples: 20 } : { warmUpMs: 500, measureMs: 1500, samples: 50 },
  );
  const scale = options.quick ? QUICK_SCALE : SCALE;
  const skipped: Summary['skipped'] = [];
  const peers = installedPeers(skipped).map((peer) => peer.name);
  // Each subject under the harness's Node, then under each version of --node.
  const subjects = (names: string[], kind: SubjectKind): Omit<Measuring, 'entries'>[] =>
    [undefined, ...nodes].flatMap((n) =>
      names.map((name) => ({ name: underNode(name, n?.label), kind, node: n?.path })),
    );
  const at = (entries: number) => (subject: Omit<Measuring, 'entries'>) => ({ ...subject, entries });
  const own = subjects(options.engines, 'engine');
  // With --against, each engine of the other version runs beside its own, in the same turns.
  const versions =
    against === undefined
      ? own
      : [...own, ...own.map((e) => ({ ...e, name: `${e.name}@${against.label}`, script: against.worker }))];
  // Two processes of the same code differ too (JIT decisions, code placement),
  // and a saved baseline's draw is shared by every run judged against it: a
  // gate's evidence takes each engine cell from REPLICAS processes. They keep
  // the default hash seed, so that a figure stays one Map layout's, comparable
  // with a run of one process; with --against, replica k of both versions gets seed k.
  const engines = options.replicated
    ? Array.from({ length: REPLICAS }, (_, k) =>
        versions.map((e) => (against === undefined ? e : { ...e, hashSeed: k + 1 })),
      ).flat()
    : versions;
  const exactPeers = new Set(PEERS.filter((p) => p.exactLru).map((p) => p.name));
  const steps: Step[] = [];
  for (const { id } of benchmarks) {
    const floors = floorsOf(id);
    const measured = [
      ...enginesFor(id, engines, against),
      ...subjects(peers, 'peer'),
      ...subjects(floors, 'floor'),
    ].map(at(DEFAULT_ENTRIES[id]));
    if (SCALED.includes(id)) {
      // The scale series: the engines and the floors that depend on size, and
      // the exact peers up to PEER_SCALE_ENTRIES (filling a million-entry peer is minutes of set-up).
      const scaled = [
        ...enginesFor(id, engines, against),
        ...subjects(
          floors.filter((floor) => SCALED_FLOORS.includes(floor)),
          'floor',
        ),
      ];
      const scaledPeers = subjects(
        peers.filter((peer) => exactPeers.has(peer)),
        'peer',
      );
      for (const entries of scale) {
        if (entries === DEFAULT_ENTRIES[id]) continue;
        measured.push(...scaled.map(at(entries)));
        if (entries <= PEER_SCALE_ENTRIES) measured.push(...scaledPeers.map(at(entries)));
      }
    }
    steps.push(benchmarkStep(id, measured, sampler, cpu));
  }
  if (!options.quick) {
    // Memory under the harness's Node only: bytes per entry are V8's layout, not a race.
    // auto's memory is that of the engine it serves.
    for (const name of options.engines) if (name !== 'auto') steps.push(memoryStep(name, 'engine', cpu));
    // lru-cache is the byte-limited peer: its memory is the one to compare against.
    if (peers.includes('lru-cache')) steps.push(memoryStep('lru-cache', 'peer', cpu));
  }
  return { name: 'cache', benchmarks, exactPeers, steps, skipped };
}

/** The on-disk store beside the JSON-manifest baselines it replaces (bench/models.ts), one process per subject. */
function modelsGroup(options: Options, cpu: number | undefined): Group | undefined {
  const benchmarks = MODEL_BENCHMARKS.filter((b) => options.filter.test(b.id));
  if (benchmarks.length === 0) return undefined;
  const sampler = options.sampling(options.quick ? MODEL_SAMPLER_QUICK : MODEL_SAMPLER);
  // With --backend the store's index runs on that engine, else on the one 'auto' picks.
  const backend = options.backend ?? 'auto';
  const steps: Step[] = MODEL_SUBJECTS.map((subject) => {
    const kind: SubjectKind = subject === 'store' ? 'engine' : 'peer';
    const job: ModelJob = { subject, benchmarks: benchmarks.map((b) => b.id), sampler, backend };
    return {
      label: () => subject,
      benchmarks: benchmarks.map((b) => b.id),
      async run() {
        return (await runProcess<ModelSample>(modelsPath, job, subject, cpu)).map((result) => ({
          subject,
          kind,
          result,
        }));
      },
    };
  });
  return {
    name: 'models',
    benchmarks,
    exactPeers: new Set(MODEL_SUBJECTS.filter((s) => s !== 'store')),
    steps,
    skipped: [],
  };
}

/** The time left, estimated from the steps done so far (each step takes roughly as long). */
function timeLeft({ done, total, started }: { done: number; total: number; started: number }): string {
  if (done <= 1) return '';
  const seconds = (((performance.now() - started) / (done - 1)) * (total - done + 1)) / 1000;
  return `, about ${seconds < 90 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`} left`;
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

/** The git commit of the checkout the library runs from, `+` when it has uncommitted changes; 'none' outside git. */
function checkoutCommit(): string {
  const root = dirname(createRequire(import.meta.url).resolve('caro-cache/package.json'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') === '' ? '' : '+'}`;
  } catch {
    return 'none';
  }
}

/** What was measured where: host, Node and the library's version and commit. */
function stamp(against: Against | undefined) {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    emulated: emulated(),
    date: new Date().toISOString(),
    version: (createRequire(import.meta.url)('caro-cache/package.json') as { version: string }).version,
    commit: checkoutCommit(),
    against: against && `${against.label} at ${against.commit}`,
  };
}

function environment(
  quick: boolean,
  where: Placement,
  load: { start: number; end: number },
  against: Against | undefined,
  drift: number,
  noiseThreshold: number,
): Summary['environment'] {
  const engines: Record<string, string> = {};
  for (const { name, available, reason } of availableBackends())
    engines[name] = available ? 'loaded' : `unavailable: ${reason}`;
  try {
    engines.wasm += `, lru.wasm ${wasmModuleBytes()} bytes`;
  } catch {
    /* reported as unavailable above */
  }
  return {
    ...stamp(against),
    engines,
    quick,
    placement: where.description,
    load,
    controlsDrift: drift,
    noiseThreshold,
  };
}

/** Runs the steps of a group: all of them, or in a gate round those that sample one of `only`, keeping `keep`. */
async function measure(
  group: Group,
  counter: { done: number; total: number; started: number },
  only?: Set<string>,
  keep?: Keep,
) {
  const raws: RawSample[] = [];
  const memory: MemoryFigure[] = [];
  const skips = new Map<string, { subject: string; reason: string }[]>();
  for (const step of group.steps) {
    if (only !== undefined && !step.benchmarks.some((b) => only.has(b))) continue;
    progress(`[${++counter.done}/${counter.total}] ${group.name}: ${step.label(keep)}${timeLeft(counter)}`);
    for (const { subject, kind, result } of await step.run(keep)) {
      if (result.type === 'sample') addSamples(raws, { subject, kind, ...result });
      else if (result.type === 'skip')
        skips.set(result.benchmark, [...(skips.get(result.benchmark) ?? []), { subject, reason: result.reason }]);
      else if (result.type === 'memory')
        memory.push({
          subject,
          entries: result.entries,
          bytesPerEntry: result.bytesPerEntry,
          heapBytes: result.heapBytes,
          externalBytes: result.externalBytes,
        });
      else throw new Error(`benchmark process ${subject} said ${result.type} out of turn`);
    }
  }
  return { raws, memory, skips };
}

/** Statistics, criterion's files, the summary and the report of one group, under `root`. */
function summarise(
  group: Group,
  measured: Awaited<ReturnType<typeof measure>>,
  root: string,
  options: Options,
  env: Summary['environment'],
  against: Against | undefined,
  nodes: NodeVersion[],
): Summary {
  const resamples = options.quick ? 10_000 : 100_000;
  const defaultEntries = new Map(group.benchmarks.map((b) => [b.id, b.entries]));
  /** Each benchmark's cells by size. */
  const cellsOf = new Map<string, Map<number, Cell[]>>();
  const scale = new Map<string, ScaleSeries>();
  const analysed = measured.raws.map((raw) => {
    const dir = cellDir(root, raw.benchmark, raw.subject, raw.entries, defaultEntries.get(raw.benchmark)!);
    return { raw, dir, ...analyse(raw, resamples), base: readBaseline(dir, options.compareWith) };
  });
  const gateOptions = {
    resamples,
    noiseThreshold: options.noiseThreshold,
    significance: options.significance,
    threshold: options.failOn === undefined ? options.noiseThreshold : options.failOn / 100,
  };
  for (const { raw, dir, cell, estimates, sample, base } of analysed) {
    writeNew(dir, { sampling_mode: 'Linear', ...sample }, estimates);
    // --against: an engine against the other version's, measured in the same turns.
    const other =
      against === undefined || raw.kind !== 'engine' || raw.subject.includes('@')
        ? undefined
        : analysed.find(
            (a) =>
              a.raw.subject === `${raw.subject}@${against.label}` &&
              a.raw.benchmark === raw.benchmark &&
              a.raw.entries === raw.entries,
          );
    if (other !== undefined) {
      const comparison = comparePaired(other.sample, sample, gateOptions);
      writeChange(dir, comparison);
      cell.change = { ...comparison, baseline: against!.label, baseSamples: other.cell.samples };
    } else if (base !== undefined && !raw.subject.includes('@')) {
      // An engine's change is taken net of the drift of the controls (peers
      // and floors) measured beside it in both runs; a control's own is raw.
      const controls =
        raw.kind !== 'engine'
          ? []
          : analysed
              .filter(
                (c) =>
                  c.raw.kind !== 'engine' &&
                  c.raw.benchmark === raw.benchmark &&
                  c.raw.entries === raw.entries &&
                  c.base !== undefined,
              )
              .map((c) => ({ base: c.base!, next: c.sample }));
      const comparison = compare(base, sample, { ...gateOptions, controls });
      writeChange(dir, comparison);
      cell.change = { ...comparison, baseline: options.compareWith, baseSamples: perIteration(base) };
    }
    const sizes = cellsOf.get(raw.benchmark) ?? new Map<number, Cell[]>();
    sizes.set(raw.entries, [...(sizes.get(raw.entries) ?? []), cell]);
    cellsOf.set(raw.benchmark, sizes);
  }
  // Ratios are taken among the cells of one benchmark at one size.
  for (const b of group.benchmarks) {
    for (const cells of cellsOf.get(b.id)?.values() ?? []) {
      relateByNode(
        cells,
        b.target,
        group.exactPeers,
        ENGINE_FLOORS[b.id] ?? {},
        nodes.map((n) => n.label),
      );
      if (!SCALED.includes(b.id) || group.name !== 'cache') continue;
      for (const cell of cells) {
        if (cell.kind !== 'engine' && !SCALED_FLOORS.includes(splitSubject(cell.subject).subject)) continue;
        const id = `${b.id}/${cell.subject}`;
        const series = scale.get(id) ?? { benchmark: b.id, subject: cell.subject, points: [] };
        const { entries, perUnit, change, floor, bestPeer, fastestEngine } = cell;
        series.points.push({ entries, perUnit, change, floor, bestPeer, fastestEngine });
        series.points.sort((x, y) => x.entries - y.entries);
        scale.set(id, series);
      }
    }
  }
  const summaries: BenchmarkSummary[] = group.benchmarks.map((b) => {
    const cells = cellsOf.get(b.id)?.get(b.entries) ?? [];
    return { id: b.id, description: b.description, target: b.target, cells, skipped: measured.skips.get(b.id) ?? [] };
  });
  const summary: Summary = {
    version: 1,
    environment: nodes.length > 0 ? { ...env, nodes } : env,
    baseline: summaries.some((s) => s.cells.some((c) => c.change))
      ? (against?.label ?? options.compareWith)
      : undefined,
    benchmarks: summaries,
    scale: [...scale.values()],
    memory: measured.memory,
    skipped: group.skipped,
  };
  mkdirSync(join(root, 'report'), { recursive: true });
  writeJson(join(root, 'summary.json'), summary);
  writeJson(
    join(root, 'benchmark-history.json'),
    summaries.flatMap((s) =>
      s.cells.map((c) => ({
        name: `${s.id}/${c.subject}`,
        unit: `ns/${s.target.unit}`,
        value: c.perUnit.point,
        range: `±${((c.perUnit.upper - c.perUnit.lower) / 2).toFixed(2)}`,
      })),
    ),
  );
  // This run joins history.jsonl once its gate is done (runGroups); until then the report adds it itself.
  const history = [...readHistory(root, HISTORY_RUNS - 1), historyRun(summary)];
  writeFileSync(join(root, 'report', 'index.html'), renderReport(summary, history));
  return summary;
}

type Measurement = Awaited<ReturnType<typeof measure>>;

/** More samples of the same cells (a gate round), from processes of their own. */
function merge(into: Measurement, more: Measurement): void {
  for (const raw of more.raws) addSamples(into.raws, raw);
}

/** Saves this run's cells as the named baseline, once the gate is done with them. */
function saveRun(group: Group, measured: Measurement, root: string, name: string): void {
  const defaultEntries = new Map(group.benchmarks.map((b) => [b.id, b.entries]));
  for (const raw of measured.raws) {
    saveBaseline(cellDir(root, raw.benchmark, raw.subject, raw.entries, defaultEntries.get(raw.benchmark)!), name);
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * The cells --measure instructions counts: each engine (and the other
 * version's, with --against) on every benchmark at its default size and
 * along the scale series, short of the 10^6 point that counts cannot show.
 */
function countCells(options: Options, against: Against | undefined): CountCell[] {
  if (!options.groups.includes('cache')) {
    throw new RangeError(
      "--measure instructions counts the cache group only: the models group's time is the file system's",
    );
  }
  const scale = (options.quick ? QUICK_SCALE : SCALE).filter((entries) => entries < 1_000_000);
  const engines = options.engines.flatMap((name) =>
    against === undefined ? [{ name }] : [{ name }, { name: `${name}@${against.label}`, script: against.worker }],
  );
  // The exact peers are counted beside the engines, as the mark to beat; with
  // --against the question is the change between versions, which they cannot show.
  const notInstalled: Summary['skipped'] = [];
  const peers = against === undefined ? installedPeers(notInstalled).filter((peer) => peer.exactLru) : [];
  return BENCHMARKS.filter((b) => options.filter.test(b.id)).flatMap(({ id, needsByteLimit }) => {
    const sizes = new Set([DEFAULT_ENTRIES[id], ...(SCALED.includes(id) ? scale : [])]);
    const cell = { benchmark: id, defaultEntries: DEFAULT_ENTRIES[id] };
    return [
      ...[...sizes].flatMap((entries) => [
        ...enginesFor(id, engines, against).map(({ name, script, absent }) => ({
          ...cell,
          subject: name,
          kind: 'engine' as const,
          entries,
          script,
          absent,
        })),
        ...peers.map((peer) => ({
          ...cell,
          subject: peer.name,
          kind: 'peer' as const,
          entries,
          absent: needsByteLimit && !peer.byteLimit ? 'limits entries only, not summed sizes' : undefined,
        })),
      ]),
      ...notInstalled.map(({ subject, reason }) => ({
        ...cell,
        subject,
        kind: 'peer' as const,
        entries: DEFAULT_ENTRIES[id],
        absent: reason,
      })),
    ];
  });
}

/** Runs the harness with command-line arguments; returns the exit code. */
export async function runBench(args: string[]): Promise<number> {
  const options = parse(args);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const where = placement(options.cpu);
  const count = options.measure === 'instructions' && !options.list ? counter() : undefined;
  const against = options.against === undefined || options.list ? undefined : prepareAgainst(options.against, progress);
  const nodes = options.node === undefined || options.list ? [] : nodeVersions(options.node, progress);
  try {
    if (count !== undefined)
      return await runInstructions(
        options,
        countCells(options, against),
        against,
        { ...stamp(against), counter: count },
        progress,
      );
    return await runGroups(options, where, against, nodes);
  } finally {
    against?.remove();
  }
}

async function runGroups(
  options: Options,
  where: Placement,
  against: Against | undefined,
  nodes: NodeVersion[],
): Promise<number> {
  const groups = [cacheGroup(options, where.cpu, against, nodes), modelsGroup(options, where.cpu)].filter(
    (g): g is Group => g !== undefined && options.groups.includes(g.name),
  );
  if (groups.length === 0) throw new RangeError(`no benchmark id matches ${options.filter}`);
  if (options.list) {
    for (const group of groups)
      for (const b of group.benchmarks) console.log(`${group.name}/${b.id}: ${b.description}`);
    return 0;
  }
  const roots = groups.map((group) => join(options.out, group.name));
  groups.forEach((group, i) => {
    if (
      options.mustExist &&
      !baselineExists(
        roots[i],
        group.benchmarks.map((b) => b.id),
        options.compareWith,
      )
    ) {
      throw new Error(`baseline "${options.compareWith}" does not exist under ${roots[i]}`);
    }
  });

  const loadAtStart = loadavg()[0];
  const started = performance.now();
  const counter = { done: 0, total: groups.reduce((n, g) => n + g.steps.length, 0), started };
  const measured: Measurement[] = [];
  for (const group of groups) measured.push(await measure(group, counter));
  const env = environment(
    options.quick,
    where,
    { start: loadAtStart, end: loadavg()[0] },
    against,
    controlsDrift(measured.flatMap((m) => m.raws)),
    options.noiseThreshold,
  );
  if (driftWorthWarning(env)) {
    progress(
      `warning: the controls moved by x${env.controlsDrift.toFixed(2)} within the run: the machine changed speed while it measured\n`,
    );
  }
  // --node runs the cache group only under every version.
  const analyseAll = () =>
    groups.map((group, i) =>
      summarise(group, measured[i], roots[i], options, env, against, group.name === 'cache' ? nodes : []),
    );
  progress('analysing\n');
  let summaries = analyseAll();

  // The gate: while an engine's change can neither be told above the
  // threshold nor ruled out, sample it again (roundCells), up to --gate-time.
  const readings = () =>
    summaries.flatMap((summary, i) =>
      gated(summary).map((g) => ({ group: groups[i].name, ...g, reading: gateReading(g.change, options.failOn!) })),
    );
  if (options.failOn !== undefined) {
    const deadline = performance.now() + options.gateMs;
    for (let round = 1; ; round++) {
      const undecided = readings().filter((r) => r.reading === 'inconclusive');
      if (undecided.length === 0 || performance.now() >= deadline) break;
      const left = Math.max(0, (deadline - performance.now()) / 1000).toFixed(0);
      progress(
        `gate round ${round}: ${undecided.length} inconclusive, sampling again (${left} s of --gate-time left)\n`,
      );
      for (const [i, group] of groups.entries()) {
        // The models group's benchmarks share ids with the cache group's: each round keeps to its own group.
        const own = undecided.filter((u) => u.group === group.name);
        if (own.length === 0) continue;
        const only = new Set(own.map((u) => u.benchmark));
        const again = {
          done: 0,
          total: group.steps.filter((s) => s.benchmarks.some((b) => only.has(b))).length,
          started: performance.now(),
        };
        merge(measured[i], await measure(group, again, only, roundCells(own, against?.label)));
      }
      summaries = analyseAll();
    }
  }
  if (options.saveAs !== undefined)
    groups.forEach((group, i) => saveRun(group, measured[i], roots[i], options.saveAs!));
  summaries.forEach((summary, i) => appendHistory(roots[i], historyRun(summary)));

  summaries.forEach((summary, i) => print(summary, groups[i].name));
  console.log('');
  for (const [i, group] of groups.entries())
    console.log(`report (${group.name}): ${join(roots[i], 'report', 'index.html')}`);

  let code = 0;
  if (options.failOn !== undefined) {
    const all = readings();
    for (const r of all.filter((r) => r.reading !== 'passed')) {
      const c = r.change;
      const interval = `[${pct(c.mean.confidence_interval.lower_bound)}, ${pct(c.mean.confidence_interval.upper_bound)}]`;
      const net =
        c.normalisation === 'controls' ? `, net of the controls' drift x${c.drift.point_estimate.toFixed(2)}` : '';
      const what = `${r.group}/${r.benchmark}/${r.subject} at ${r.entries} entries: ${pct(c.mean.point_estimate)} ${interval}${net}`;
      if (r.reading === 'regressed') {
        console.error(`regressed: ${what}, beyond ${options.failOn}%`);
        code = 1;
      } else {
        console.error(`inconclusive: ${what}: the interval straddles ${options.failOn}% after --gate-time`);
      }
    }
    if (code === 0 && all.some((r) => r.reading === 'inconclusive')) code = 3;
    console.error(
      code === 0
        ? `gate: ${all.length} changes, none beyond ${options.failOn}%`
        : code === 3
          ? `gate: undecided; sample longer (--gate-time, --measurement-time) or on a quieter machine`
          : `gate: failed`,
    );
  }
  if (options.checkTargets) {
    for (const [i, summary] of summaries.entries()) {
      for (const b of summary.benchmarks) {
        for (const c of b.cells.filter((c) => c.targetMet === false)) {
          console.error(
            `target missed: ${groups[i].name}/${b.id}/${c.subject} ${c.perUnit.point.toFixed(1)} ns > ${b.target.highNs} ns per ${b.target.unit}`,
          );
          if (code === 0 || code === 3) code = 1;
        }
      }
    }
  }
  return code;
}

/** The Node axis of a --node run: per benchmark, each engine's figure and floor ratio under each version. */
function printNodeAxis(summary: Summary): void {
  const axis = nodeAxis(summary);
  if (axis === undefined) return;
  const heads = axis.columns.map((c) => `${c.label ?? 'this run'} (${c.node})`);
  console.log(`\nby Node version (ns per unit, x its own floor; * fastest engine under that version):`);
  for (const b of axis.benchmarks) {
    console.log(`\n${b.id}`);
    console.log(`  ${''.padEnd(8)} ${heads.map((h) => h.padStart(24)).join(' ')}`);
    for (const row of b.rows) {
      const figures = row.figures.map((f) => {
        if (f === undefined) return '-'.padStart(24);
        const floor = f.floorRatio === undefined ? '' : ` ${ratio(f.floorRatio)}`;
        return `${f.fastest ? '*' : ''}${f.perUnit.point.toFixed(1)} ns${floor}`.padStart(24);
      });
      console.log(`  ${row.engine.padEnd(8)} ${figures.join(' ')}`);
    }
  }
}

/** Two decimals, or two significant digits for ratios that small (the store against a manifest). */
const ratio = (r: number): string => `${r >= 0.01 ? r.toFixed(2) : r.toPrecision(2)}x`;

/** An engine's ratios, at the default size or at a point of the scale series, as the terminal shows them. */
function ratiosOf(c: Pick<Cell, 'floor' | 'bestPeer' | 'fastestEngine'>): string[] {
  return [
    c.floor && `${ratio(c.floor.ratio)} floor`,
    c.bestPeer && `${ratio(c.bestPeer.ratio)} ${c.bestPeer.subject}`,
    c.fastestEngine && `${ratio(c.fastestEngine.ratio)} fastest engine (${c.fastestEngine.subject})`,
  ].filter((text) => typeof text === 'string');
}

function print(summary: Summary, group: string): void {
  const e = summary.environment;
  const emulation = e.emulated ? ' (emulated: times not comparable with a native run)' : '';
  console.log(
    `\n== ${group}: ${e.cpu}, ${e.cores} cores, Node ${e.node}${e.quick ? ' (quick)' : ''}${emulation}; ${e.placement}`,
  );
  for (const b of summary.benchmarks) {
    console.log(`\n${b.id}: ${b.description} (ns per ${b.target.unit}; target <= ${b.target.highNs})`);
    // Wide enough for the longest name, `floor:wasm-call@node22` with --node.
    const width = Math.max(20, ...b.cells.map((c) => c.subject.length));
    for (const c of [...b.cells].sort((x, y) => x.perUnit.point - y.perUnit.point)) {
      const ci = `[${c.perUnit.lower.toFixed(1)}, ${c.perUnit.upper.toFixed(1)}]`;
      const extra = [
        ...ratiosOf(c),
        c.change &&
          `${pct(c.change.mean.point_estimate)} ${c.change.verdict}` +
            (c.change.normalisation === 'controls'
              ? ` (net of controls x${c.change.drift.point_estimate.toFixed(2)})`
              : ''),
        c.targetMet === false && 'TARGET MISSED',
      ].filter(Boolean);
      console.log(
        `  ${c.subject.padEnd(width)} ${c.perUnit.point.toFixed(1).padStart(11)} ns ${ci.padEnd(24)} ${extra.join(', ')}`,
      );
    }
    for (const s of b.skipped) console.log(`  ${s.subject.padEnd(width)} skipped: ${s.reason}`);
    for (const series of summary.scale) {
      if (series.benchmark !== b.id || series.subject.startsWith('floor:')) continue;
      for (const p of series.points) {
        if (p.entries === b.cells[0]?.entries) continue;
        const name = `${series.subject} at ${p.entries}`;
        console.log(
          `  ${name.padEnd(width)} ${p.perUnit.point.toFixed(1).padStart(11)} ns ${' '.repeat(24)} ${ratiosOf(p).join(', ')}`,
        );
      }
    }
  }
  for (const s of summary.skipped) console.log(`\nskipped in every benchmark: ${s.subject}: ${s.reason}`);
  printNodeAxis(summary);
  if (summary.memory.length > 0) {
    console.log(`\nmemory at ${MEMORY_ENTRIES} entries:`);
    for (const m of summary.memory)
      console.log(`  ${m.subject.padEnd(16)} ${m.bytesPerEntry.toFixed(0)} bytes per entry`);
  }
}
