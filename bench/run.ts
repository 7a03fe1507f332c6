// `caro-cache bench` (and `npm run bench`): two groups of the same four
// benchmarks, each subject in its own process. `cache`: every engine beside
// the floors and the npm peers. `models`: the on-disk store beside the JSON
// manifests it replaces. Then, per group, criterion's statistics and files, a
// summary, an HTML report, the baseline comparison and the gates.

import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { availableBackends, type BackendName } from '../src/index.js';
import { packageRoot } from '../src/native-core.js';
import { analyse, regressions, relate, type RawSample } from './analysis.js';
import { baselineExists, cellDir, readBaseline, saveBaseline, writeChange, writeJson, writeNew } from './criterion.js';
import { ENGINE_FLOORS, FLOOR_BENCHMARK, SCALED_FLOORS } from './floors.js';
import { renderReport } from './report.js';
import { compare } from './stats.js';
import { ENGINE_NAMES, PEERS } from './subjects.js';
import type { BenchmarkSummary, Cell, MemoryFigure, ScaleSeries, SubjectKind, Summary, Target } from './summary.js';
import type { Job, WorkerResult } from './worker.js';
import { MODEL_BENCHMARKS, MODEL_SAMPLER, MODEL_SAMPLER_QUICK, MODEL_SUBJECTS, type ModelJob } from './models.js';
import { BENCHMARKS } from './workloads.js';

const USAGE = `Usage: caro-cache bench [filter] [options]   (in a clone: npm run bench -- ...)

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
  --out DIR                    output root, one directory per group (default: target/criterion)
  --help                       this text`;

const DEFAULT_ENTRIES: Record<string, number> = { get_model_hit: 100, add_model: 100, remove_model: 100, lru_eviction_full: 50 };
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
      help: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new RangeError(`one filter at most, got ${positionals.join(' ')}`);
  if (values.backend !== undefined && !ENGINE_NAMES.includes(values.backend as never)) {
    throw new RangeError(`--backend must be one of ${ENGINE_NAMES.join(', ')}, got ${values.backend}`);
  }
  if (values.group !== undefined && !GROUPS.includes(values.group as never)) {
    throw new RangeError(`--group must be one of ${GROUPS.join(', ')}, got ${values.group}`);
  }
  const failOn = values['fail-on-regression'] === undefined ? undefined : Number(values['fail-on-regression']);
  if (failOn !== undefined && !(failOn >= 0)) throw new RangeError('--fail-on-regression needs a non-negative percentage');
  if (values.baseline !== undefined && values['save-baseline'] !== undefined) {
    throw new RangeError('--baseline and --save-baseline cannot be combined');
  }
  return {
    help: values.help,
    filter: positionals[0] ?? '',
    groups: values.group === undefined ? [...GROUPS] : [values.group],
    backend: values.backend as BackendName | undefined,
    engines: values.backend === undefined ? [...ENGINE_NAMES] : [values.backend],
    quick: values.quick,
    compareWith: values.baseline ?? values['save-baseline'] ?? 'base',
    saveAs: values.baseline === undefined ? values['save-baseline'] ?? 'base' : undefined,
    mustExist: values.baseline !== undefined,
    failOn,
    checkTargets: values['check-targets'],
    out: resolve(values.out ?? 'target/criterion'),
  };
}

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));
const modelsPath = fileURLToPath(new URL('./models.js', import.meta.url));

/** One benchmark process: a script and its JSON job. */
interface Plan {
  subject: string;
  kind: SubjectKind;
  script: string;
  job: Job | ModelJob;
}

/** A group of benchmarks with its own output directory, summary and report. */
interface Group {
  name: (typeof GROUPS)[number];
  benchmarks: { id: string; description: string; target: Target; entries: number }[];
  /** The subjects an engine's `bestPeer` ratio is taken against. */
  exactPeers: Set<string>;
  plans: Plan[];
  skipped: Summary['skipped'];
}

type Options = ReturnType<typeof parse>;

/** The in-memory caches: engines, npm peers and floors. */
function cacheGroup(options: Options): Group | undefined {
  const benchmarks = BENCHMARKS.filter((b) => b.id.includes(options.filter)).map((b) => ({ ...b, entries: DEFAULT_ENTRIES[b.id] }));
  if (benchmarks.length === 0) return undefined;
  const ids = benchmarks.map((b) => b.id);
  const sampler = options.quick ? { warmUpMs: 100, measureMs: 250, samples: 20 } : { warmUpMs: 500, measureMs: 1500, samples: 50 };
  const scale = options.quick ? QUICK_SCALE : SCALE;
  const plans: Plan[] = [];
  for (const engine of options.engines) {
    const runs = ids.map((benchmark) => ({ benchmark, entries: DEFAULT_ENTRIES[benchmark] }));
    for (const benchmark of ids.filter((id) => SCALED.includes(id))) {
      for (const entries of scale) if (entries !== DEFAULT_ENTRIES[benchmark]) runs.push({ benchmark, entries });
    }
    const memoryEntries = options.quick ? undefined : MEMORY_ENTRIES;
    plans.push({ subject: engine, kind: 'engine', script: workerPath, job: { subject: engine, kind: 'engine', runs, memoryEntries, sampler } });
  }
  const skipped: Summary['skipped'] = [];
  for (const peer of PEERS) {
    try {
      peer.load();
    } catch {
      skipped.push({ subject: peer.name, reason: 'not installed (a devDependency)' });
      continue;
    }
    const runs = ids.map((benchmark) => ({ benchmark, entries: DEFAULT_ENTRIES[benchmark] }));
    // lru-cache is the byte-limited peer: its memory is the one to compare against.
    const memoryEntries = peer.name === 'lru-cache' && !options.quick ? MEMORY_ENTRIES : undefined;
    plans.push({ subject: peer.name, kind: 'peer', script: workerPath, job: { subject: peer.name, kind: 'peer', runs, memoryEntries, sampler } });
  }
  for (const [floor, benchmark] of Object.entries(FLOOR_BENCHMARK)) {
    if (!ids.includes(benchmark)) continue;
    const sizes = SCALED.includes(benchmark) && SCALED_FLOORS.includes(floor) ? scale : [DEFAULT_ENTRIES[benchmark]];
    const runs = sizes.map((entries) => ({ benchmark, entries }));
    plans.push({ subject: floor, kind: 'floor', script: workerPath, job: { subject: floor, kind: 'floor', runs, sampler } });
  }
  const exactPeers = new Set(PEERS.filter((p) => p.exactLru).map((p) => p.name));
  return { name: 'cache', benchmarks, exactPeers, plans, skipped };
}

/** The on-disk store beside the JSON-manifest baselines it replaces (bench/models.ts). */
function modelsGroup(options: Options): Group | undefined {
  const benchmarks = MODEL_BENCHMARKS.filter((b) => b.id.includes(options.filter));
  if (benchmarks.length === 0) return undefined;
  const sampler = options.quick ? MODEL_SAMPLER_QUICK : MODEL_SAMPLER;
  // With --backend the store's index runs on that engine, else on the one 'auto' picks.
  const backend = options.backend ?? 'auto';
  const plans: Plan[] = MODEL_SUBJECTS.map((subject) => ({
    subject,
    kind: subject === 'store' ? 'engine' : 'peer',
    script: modelsPath,
    job: { subject, benchmarks: benchmarks.map((b) => b.id), sampler, backend },
  }));
  return { name: 'models', benchmarks, exactPeers: new Set(MODEL_SUBJECTS.filter((s) => s !== 'store')), plans, skipped: [] };
}

function runPlan(plan: Plan): WorkerResult[] {
  const out = execFileSync(process.execPath, ['--expose-gc', plan.script, JSON.stringify(plan.job)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as WorkerResult);
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

function environment(quick: boolean): Summary['environment'] {
  const engines: Record<string, string> = {};
  for (const { name, available, reason } of availableBackends()) engines[name] = available ? 'loaded' : `unavailable: ${reason}`;
  try {
    engines.wasm += `, lru.wasm ${statSync(join(packageRoot, 'dist', 'lru.wasm')).size} bytes`;
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
    date: new Date().toISOString(),
  };
}

/** Runs every plan of a group, each in its own process. */
function measure(group: Group, counter: { done: number; total: number }) {
  const raws: RawSample[] = [];
  const memory: MemoryFigure[] = [];
  const skips = new Map<string, { subject: string; reason: string }[]>();
  for (const plan of group.plans) {
    progress(`[${++counter.done}/${counter.total}] ${group.name}: ${plan.subject}`);
    for (const result of runPlan(plan)) {
      if (result.type === 'sample') raws.push({ subject: plan.subject, kind: plan.kind, ...result });
      else if (result.type === 'skip') skips.set(result.benchmark, [...(skips.get(result.benchmark) ?? []), { subject: plan.subject, reason: result.reason }]);
      else memory.push({ subject: plan.subject, entries: result.entries, bytesPerEntry: result.bytesPerEntry, heapBytes: result.heapBytes, externalBytes: result.externalBytes });
    }
  }
  return { raws, memory, skips };
}

/** Statistics, criterion's files, the summary and the report of one group, under `root`. */
function summarise(group: Group, measured: ReturnType<typeof measure>, root: string, options: Options, env: Summary['environment']): Summary {
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
    if ((raw.kind === 'engine' || SCALED_FLOORS.includes(raw.subject)) && SCALED.includes(raw.benchmark) && group.name === 'cache') {
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
export function runBench(args: string[]): number {
  const options = parse(args);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const groups = [cacheGroup(options), modelsGroup(options)].filter((g): g is Group => g !== undefined && options.groups.includes(g.name));
  if (groups.length === 0) throw new RangeError(`no benchmark id contains "${options.filter}"`);
  for (const group of groups) {
    const root = join(options.out, group.name);
    if (options.mustExist && !baselineExists(root, group.benchmarks.map((b) => b.id), options.compareWith)) {
      throw new Error(`baseline "${options.compareWith}" does not exist under ${root}`);
    }
  }

  const counter = { done: 0, total: groups.reduce((n, g) => n + g.plans.length, 0) };
  const measured = groups.map((group) => measure(group, counter));
  progress('analysing\n');
  const env = environment(options.quick);
  const summaries = groups.map((group, i) => summarise(group, measured[i], join(options.out, group.name), options, env));
  summaries.forEach((summary, i) => print(summary, groups[i].name));
  console.log('');
  for (const group of groups) console.log(`report (${group.name}): ${join(options.out, group.name, 'report', 'index.html')}`);

  let failed = false;
  const all = summaries.flatMap((summary, i) => summary.benchmarks.map((b) => ({ group: groups[i].name, b })));
  if (options.failOn !== undefined) {
    for (const { group, b } of all) {
      for (const c of regressions(b.cells, options.failOn)) {
        console.error(`regressed: ${group}/${b.id}/${c.subject} by ${(c.change!.mean.point_estimate * 100).toFixed(1)}% (p = ${c.change!.pValue.toPrecision(2)})`);
        failed = true;
      }
    }
  }
  if (options.checkTargets) {
    for (const { group, b } of all) {
      for (const c of b.cells.filter((c) => c.targetMet === false)) {
        console.error(`target missed: ${group}/${b.id}/${c.subject} ${c.perUnit.point.toFixed(1)} ns > ${b.target.highNs} ns per ${b.target.unit}`);
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
  console.log(`\n== ${group}: ${e.cpu}, ${e.cores} cores, Node ${e.node}${e.quick ? ' (quick)' : ''}`);
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
      console.log(`  ${c.subject.padEnd(20)} ${c.perUnit.point.toFixed(1).padStart(11)} ns ${ci.padEnd(24)} ${extra.join(', ')}`);
    }
    for (const s of b.skipped) console.log(`  ${s.subject.padEnd(20)} skipped: ${s.reason}`);
  }
  if (summary.memory.length > 0) {
    console.log(`\nmemory at ${MEMORY_ENTRIES} entries:`);
    for (const m of summary.memory) console.log(`  ${m.subject.padEnd(16)} ${m.bytesPerEntry.toFixed(0)} bytes per entry`);
  }
}
