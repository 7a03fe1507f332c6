// `caro-cache-bench` (`npm run bench` in a clone, `caro-cache bench` where
// both packages are installed): two groups of the same four benchmarks, each
// subject in its own process, all on one CPU. `cache`: every engine beside
// the floors and the npm peers, every subject of a benchmark at every size
// sampled in turn (processes.ts). `models`: the on-disk store beside the JSON
// manifests it replaces. Then, per group, criterion's statistics and files, a
// summary, an HTML report, the baseline comparison and the gates.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { availableBackends, BACKENDS, type BackendName } from 'caro-cache';
import { wasmModuleBytes } from 'caro-cache/internal';
import { analyse, regressions, relate, type RawSample } from './analysis.js';
import { baselineExists, cellDir, readBaseline, saveBaseline, writeChange, writeJson, writeNew } from './criterion.js';
import { ENGINE_FLOORS, FLOOR_BENCHMARK, SCALED_FLOORS } from './floors.js';
import { renderReport } from './report.js';
import { compare } from './stats.js';
import { PEERS } from './subjects.js';
import type { BenchmarkSummary, Cell, MemoryFigure, ScaleSeries, SubjectKind, Summary, Target } from './summary.js';
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
import { interleave, placement, runProcess, type Placement } from './processes.js';
import { BENCHMARKS } from './workloads.js';

const USAGE = `Usage: caro-cache-bench [filter] [options]   (in a clone: npm run bench -- ...)

  filter                       run only benchmarks whose id contains this text
  --group cache|models         only this group: the in-memory engines beside the floors and
                               npm peers, or the on-disk store beside JSON manifests (default: both)
  --backend native|wasm|ts     only this engine (peers and floors still run); the store's index
                               runs on it
  --quick                      short sampling, scale up to 10^4 entries, no memory figures:
                               about a minute
  --save-baseline NAME         save this run as NAME (default: base)
  --baseline NAME              compare against NAME and keep it unchanged
  --fail-on-regression PCT     exit 1 if a cell regressed by more than PCT% (p < 0.05)
  --check-targets              exit 1 if an engine misses a target
  --cpu N                      run every benchmark process on CPU N (Linux, with taskset;
                               default: the first CPU allowed)
  --out DIR                    output root, one directory per group (default: target/criterion)
  --help                       this text`;

const DEFAULT_ENTRIES: Record<string, number> = {
  get_model_hit: 100,
  add_model: 100,
  remove_model: 100,
  lru_eviction_full: 50,
};
const SCALE = [100, 10_000, 1_000_000];
// Filling caches of a million entries dominates a quick run, so it stops at 10^4.
const QUICK_SCALE = [100, 10_000];
const SCALED = ['get_model_hit', 'add_model'];
const MEMORY_ENTRIES = 1_000_000;
const GROUPS = ['cache', 'models'] as const;

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      group: { type: 'string' },
      backend: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'save-baseline': { type: 'string' },
      baseline: { type: 'string' },
      'fail-on-regression': { type: 'string' },
      'check-targets': { type: 'boolean', default: false },
      out: { type: 'string' },
      cpu: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new RangeError(`one filter at most, got ${positionals.join(' ')}`);
  if (values.backend !== undefined && !BACKENDS.includes(values.backend as never)) {
    throw new RangeError(`--backend must be one of ${BACKENDS.join(', ')}, got ${values.backend}`);
  }
  if (values.group !== undefined && !GROUPS.includes(values.group as never)) {
    throw new RangeError(`--group must be one of ${GROUPS.join(', ')}, got ${values.group}`);
  }
  const failOn = values['fail-on-regression'] === undefined ? undefined : Number(values['fail-on-regression']);
  if (failOn !== undefined && !(failOn >= 0))
    throw new RangeError('--fail-on-regression needs a non-negative percentage');
  const cpu = values.cpu === undefined ? undefined : Number(values.cpu);
  if (cpu !== undefined && !(Number.isSafeInteger(cpu) && cpu >= 0))
    throw new RangeError(`--cpu needs a CPU number, got ${values.cpu}`);
  if (values.baseline !== undefined && values['save-baseline'] !== undefined) {
    throw new RangeError('--baseline and --save-baseline cannot be combined');
  }
  return {
    help: values.help,
    filter: positionals[0] ?? '',
    groups: values.group === undefined ? [...GROUPS] : [values.group],
    backend: values.backend as BackendName | undefined,
    engines: values.backend === undefined ? [...BACKENDS] : [values.backend],
    quick: values.quick,
    compareWith: values.baseline ?? values['save-baseline'] ?? 'base',
    saveAs: values.baseline === undefined ? (values['save-baseline'] ?? 'base') : undefined,
    mustExist: values.baseline !== undefined,
    failOn,
    checkTargets: values['check-targets'],
    out: resolve(values.out ?? 'target/criterion'),
    cpu,
  };
}

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));
const modelsPath = fileURLToPath(new URL('./models.js', import.meta.url));

/** A result and the subject that gave it. */
interface Measured {
  subject: string;
  kind: SubjectKind;
  result: WorkerResult | ModelSample;
}

/** One step of a group's measurement: one or more benchmark processes. */
interface Step {
  label: string;
  run(): Promise<Measured[]>;
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

type Options = ReturnType<typeof parse>;

/** A subject measured at some number of entries. */
interface Measuring {
  name: string;
  kind: SubjectKind;
  entries: number;
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
  return {
    label: `${benchmark} (${measured.length} processes in turn)`,
    async run() {
      const jobs = measured.map(({ name, kind, entries }) => ({
        name: `${name} at ${entries} entries`,
        job: { type: 'cell', subject: name, kind, benchmark, entries, sampler } satisfies Job,
      }));
      const results = await interleave<WorkerResult>(workerPath, jobs, cpu);
      return results.map((result, i) => ({ subject: measured[i].name, kind: measured[i].kind, result }));
    },
  };
}

/** The memory figure of one subject, in a process of its own. */
function memoryStep(subject: string, kind: 'engine' | 'peer', cpu: number | undefined): Step {
  return {
    label: `memory of ${subject} at ${MEMORY_ENTRIES} entries`,
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

/** The in-memory caches: engines, npm peers and floors. */
function cacheGroup(options: Options, cpu: number | undefined): Group | undefined {
  const benchmarks = BENCHMARKS.filter((b) => b.id.includes(options.filter)).map((b) => ({
    ...b,
    entries: DEFAULT_ENTRIES[b.id],
  }));
  if (benchmarks.length === 0) return undefined;
  const sampler = options.quick
    ? { warmUpMs: 100, measureMs: 250, samples: 20 }
    : { warmUpMs: 500, measureMs: 1500, samples: 50 };
  const scale = options.quick ? QUICK_SCALE : SCALE;
  const skipped: Summary['skipped'] = [];
  const peers = PEERS.filter((peer) => {
    try {
      peer.load();
      return true;
    } catch {
      skipped.push({ subject: peer.name, reason: 'not installed (a devDependency)' });
      return false;
    }
  }).map((peer) => peer.name);
  const subjects = (names: string[], kind: SubjectKind) => names.map((name) => ({ name, kind }));
  const at = (entries: number) => (subject: { name: string; kind: SubjectKind }) => ({ ...subject, entries });
  const engines = subjects(options.engines, 'engine');
  const steps: Step[] = [];
  for (const { id } of benchmarks) {
    const floors = Object.keys(FLOOR_BENCHMARK).filter((floor) => FLOOR_BENCHMARK[floor] === id);
    const measured = [...engines, ...subjects(peers, 'peer'), ...subjects(floors, 'floor')].map(
      at(DEFAULT_ENTRIES[id]),
    );
    if (SCALED.includes(id)) {
      // The scale series: the engines and the floors that depend on size, without the peers.
      const scaled = [
        ...engines,
        ...subjects(
          floors.filter((floor) => SCALED_FLOORS.includes(floor)),
          'floor',
        ),
      ];
      for (const entries of scale) if (entries !== DEFAULT_ENTRIES[id]) measured.push(...scaled.map(at(entries)));
    }
    steps.push(benchmarkStep(id, measured, sampler, cpu));
  }
  if (!options.quick) {
    for (const { name } of engines) steps.push(memoryStep(name, 'engine', cpu));
    // lru-cache is the byte-limited peer: its memory is the one to compare against.
    if (peers.includes('lru-cache')) steps.push(memoryStep('lru-cache', 'peer', cpu));
  }
  const exactPeers = new Set(PEERS.filter((p) => p.exactLru).map((p) => p.name));
  return { name: 'cache', benchmarks, exactPeers, steps, skipped };
}

/** The on-disk store beside the JSON-manifest baselines it replaces (bench/models.ts), one process per subject. */
function modelsGroup(options: Options, cpu: number | undefined): Group | undefined {
  const benchmarks = MODEL_BENCHMARKS.filter((b) => b.id.includes(options.filter));
  if (benchmarks.length === 0) return undefined;
  const sampler = options.quick ? MODEL_SAMPLER_QUICK : MODEL_SAMPLER;
  // With --backend the store's index runs on that engine, else on the one 'auto' picks.
  const backend = options.backend ?? 'auto';
  const steps: Step[] = MODEL_SUBJECTS.map((subject) => {
    const kind: SubjectKind = subject === 'store' ? 'engine' : 'peer';
    const job: ModelJob = { subject, benchmarks: benchmarks.map((b) => b.id), sampler, backend };
    return {
      label: subject,
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

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

function environment(quick: boolean, where: Placement): Summary['environment'] {
  const engines: Record<string, string> = {};
  for (const { name, available, reason } of availableBackends())
    engines[name] = available ? 'loaded' : `unavailable: ${reason}`;
  try {
    engines.wasm += `, lru.wasm ${wasmModuleBytes()} bytes`;
  } catch {
    /* reported as unavailable above */
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    engines,
    quick,
    placement: where.description,
    date: new Date().toISOString(),
  };
}

/** Runs every step of a group. */
async function measure(group: Group, counter: { done: number; total: number }) {
  const raws: RawSample[] = [];
  const memory: MemoryFigure[] = [];
  const skips = new Map<string, { subject: string; reason: string }[]>();
  for (const step of group.steps) {
    progress(`[${++counter.done}/${counter.total}] ${group.name}: ${step.label}`);
    for (const { subject, kind, result } of await step.run()) {
      if (result.type === 'sample') raws.push({ subject, kind, ...result });
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
): Summary {
  const resamples = options.quick ? 10_000 : 100_000;
  const defaultEntries = new Map(group.benchmarks.map((b) => [b.id, b.entries]));
  const cellsOf = new Map<string, Cell[]>();
  const scale = new Map<string, ScaleSeries>();
  for (const raw of measured.raws) {
    const isDefault = raw.entries === defaultEntries.get(raw.benchmark);
    const dir = cellDir(root, raw.benchmark, raw.subject, raw.entries, defaultEntries.get(raw.benchmark)!);
    const { cell, estimates, sample } = analyse(raw, resamples);
    writeNew(dir, { sampling_mode: 'Linear', ...sample }, estimates);
    const base = readBaseline(dir, options.compareWith);
    if (base !== undefined) {
      const comparison = compare(base, sample, { resamples });
      writeChange(dir, comparison);
      cell.change = { ...comparison, baseline: options.compareWith };
    }
    if (options.saveAs !== undefined) saveBaseline(dir, options.saveAs);
    if (isDefault) cellsOf.set(raw.benchmark, [...(cellsOf.get(raw.benchmark) ?? []), cell]);
    if (
      (raw.kind === 'engine' || SCALED_FLOORS.includes(raw.subject)) &&
      SCALED.includes(raw.benchmark) &&
      group.name === 'cache'
    ) {
      const key = `${raw.benchmark}/${raw.subject}`;
      const series = scale.get(key) ?? { benchmark: raw.benchmark, subject: raw.subject, points: [] };
      series.points.push({ entries: raw.entries, perUnit: cell.perUnit });
      series.points.sort((a, b) => a.entries - b.entries);
      scale.set(key, series);
    }
  }
  const summaries: BenchmarkSummary[] = group.benchmarks.map((b) => {
    const cells = cellsOf.get(b.id) ?? [];
    relate(cells, b.target, group.exactPeers, ENGINE_FLOORS[b.id]);
    return { id: b.id, description: b.description, target: b.target, cells, skipped: measured.skips.get(b.id) ?? [] };
  });
  const summary: Summary = {
    version: 1,
    environment: env,
    baseline: summaries.some((s) => s.cells.some((c) => c.change)) ? options.compareWith : undefined,
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
  writeFileSync(join(root, 'report', 'index.html'), renderReport(summary));
  return summary;
}

/** Runs the harness with command-line arguments; returns the exit code. */
export async function runBench(args: string[]): Promise<number> {
  const options = parse(args);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const where = placement(options.cpu);
  const groups = [cacheGroup(options, where.cpu), modelsGroup(options, where.cpu)].filter(
    (g): g is Group => g !== undefined && options.groups.includes(g.name),
  );
  if (groups.length === 0) throw new RangeError(`no benchmark id contains "${options.filter}"`);
  for (const group of groups) {
    const root = join(options.out, group.name);
    if (
      options.mustExist &&
      !baselineExists(
        root,
        group.benchmarks.map((b) => b.id),
        options.compareWith,
      )
    ) {
      throw new Error(`baseline "${options.compareWith}" does not exist under ${root}`);
    }
  }

  const counter = { done: 0, total: groups.reduce((n, g) => n + g.steps.length, 0) };
  const measured: Awaited<ReturnType<typeof measure>>[] = [];
  for (const group of groups) measured.push(await measure(group, counter));
  progress('analysing\n');
  const env = environment(options.quick, where);
  const summaries = groups.map((group, i) =>
    summarise(group, measured[i], join(options.out, group.name), options, env),
  );
  summaries.forEach((summary, i) => print(summary, groups[i].name));
  console.log('');
  for (const group of groups)
    console.log(`report (${group.name}): ${join(options.out, group.name, 'report', 'index.html')}`);

  let failed = false;
  const all = summaries.flatMap((summary, i) => summary.benchmarks.map((b) => ({ group: groups[i].name, b })));
  if (options.failOn !== undefined) {
    for (const { group, b } of all) {
      for (const c of regressions(b.cells, options.failOn)) {
        console.error(
          `regressed: ${group}/${b.id}/${c.subject} by ${(c.change!.mean.point_estimate * 100).toFixed(1)}% (p = ${c.change!.pValue.toPrecision(2)})`,
        );
        failed = true;
      }
    }
  }
  if (options.checkTargets) {
    for (const { group, b } of all) {
      for (const c of b.cells.filter((c) => c.targetMet === false)) {
        console.error(
          `target missed: ${group}/${b.id}/${c.subject} ${c.perUnit.point.toFixed(1)} ns > ${b.target.highNs} ns per ${b.target.unit}`,
        );
        failed = true;
      }
    }
  }
  return failed ? 1 : 0;
}

/** Two decimals, or two significant digits for ratios that small (the store against a manifest). */
const ratio = (r: number): string => `${r >= 0.01 ? r.toFixed(2) : r.toPrecision(2)}x`;

function print(summary: Summary, group: string): void {
  const e = summary.environment;
  console.log(`\n== ${group}: ${e.cpu}, ${e.cores} cores, Node ${e.node}${e.quick ? ' (quick)' : ''}; ${e.placement}`);
  for (const b of summary.benchmarks) {
    console.log(`\n${b.id}: ${b.description} (ns per ${b.target.unit}; target <= ${b.target.highNs})`);
    for (const c of [...b.cells].sort((x, y) => x.perUnit.point - y.perUnit.point)) {
      const ci = `[${c.perUnit.lower.toFixed(1)}, ${c.perUnit.upper.toFixed(1)}]`;
      const extra = [
        c.floor && `${ratio(c.floor.ratio)} floor`,
        c.bestPeer && `${ratio(c.bestPeer.ratio)} ${c.bestPeer.subject}`,
        c.change && `${(c.change.mean.point_estimate * 100).toFixed(1)}% ${c.change.verdict}`,
        c.targetMet === false && 'TARGET MISSED',
      ].filter(Boolean);
      console.log(
        `  ${c.subject.padEnd(20)} ${c.perUnit.point.toFixed(1).padStart(11)} ns ${ci.padEnd(24)} ${extra.join(', ')}`,
      );
    }
    for (const s of b.skipped) console.log(`  ${s.subject.padEnd(20)} skipped: ${s.reason}`);
  }
  if (summary.memory.length > 0) {
    console.log(`\nmemory at ${MEMORY_ENTRIES} entries:`);
    for (const m of summary.memory)
      console.log(`  ${m.subject.padEnd(16)} ${m.bytesPerEntry.toFixed(0)} bytes per entry`);
  }
}
