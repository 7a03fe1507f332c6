// `caro-cache bench` (and `npm run bench`): the four cache benchmarks on every engine, beside the
// floors and the npm peers, each subject in its own process, then criterion's
// statistics, files, HTML report, baseline comparison and gates.

import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { availableBackends } from '../src/index.js';
import { packageRoot } from '../src/native-core.js';
import { analyse, regressions, relate, type RawSample } from './analysis.js';
import { baselineExists, cellDir, readBaseline, saveBaseline, writeChange, writeJson, writeNew } from './criterion.js';
import { FLOOR_NAMES } from './floors.js';
import { renderReport } from './report.js';
import { compare } from './stats.js';
import { ENGINE_NAMES, PEERS } from './subjects.js';
import type { BenchmarkSummary, Cell, MemoryFigure, ScaleSeries, Summary } from './summary.js';
import type { Job, WorkerResult } from './worker.js';
import { BENCHMARKS } from './workloads.js';

const USAGE = `Usage: caro-cache bench [filter] [options]   (in a clone: npm run bench -- ...)

  filter                       run only benchmarks whose id contains this text
  --backend native|wasm|ts     only this engine (peers and floors still run)
  --quick                      short sampling, scale up to 10^4 entries, no memory figures:
                               under a minute
  --save-baseline NAME         save this run as NAME (default: base)
  --baseline NAME              compare against NAME and keep it unchanged
  --fail-on-regression PCT     exit 1 if a cell regressed by more than PCT% (p < 0.05)
  --check-targets              exit 1 if an engine misses a target
  --out DIR                    output root (default: target/criterion)
  --help                       this text`;

const DEFAULT_ENTRIES: Record<string, number> = { get_model_hit: 100, add_model: 100, remove_model: 100, lru_eviction_full: 50 };
const SCALE = [100, 10_000, 1_000_000];
// Filling caches of a million entries dominates a quick run, so it stops at 10^4.
const QUICK_SCALE = [100, 10_000];
const SCALED = ['get_model_hit', 'add_model'];
const MEMORY_ENTRIES = 1_000_000;

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
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
  const failOn = values['fail-on-regression'] === undefined ? undefined : Number(values['fail-on-regression']);
  if (failOn !== undefined && !(failOn >= 0)) throw new RangeError('--fail-on-regression needs a non-negative percentage');
  if (values.baseline !== undefined && values['save-baseline'] !== undefined) {
    throw new RangeError('--baseline and --save-baseline cannot be combined');
  }
  return {
    help: values.help,
    filter: positionals[0] ?? '',
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

function runWorker(job: Job): WorkerResult[] {
  const out = execFileSync(process.execPath, ['--expose-gc', workerPath, JSON.stringify(job)], {
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

/** Runs the harness with command-line arguments; returns the exit code. */
export function runBench(args: string[]): number {
  const options = parse(args);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const root = join(options.out, 'cache');
  const benchmarks = BENCHMARKS.filter((b) => b.id.includes(options.filter));
  if (benchmarks.length === 0) throw new RangeError(`no benchmark id contains "${options.filter}"`);
  const sampler = options.quick ? { warmUpMs: 100, measureMs: 250, samples: 20 } : { warmUpMs: 500, measureMs: 1500, samples: 50 };
  const resamples = options.quick ? 10_000 : 100_000;
  const ids = benchmarks.map((b) => b.id);
  if (options.mustExist && !baselineExists(root, ids, options.compareWith)) {
    throw new Error(`baseline "${options.compareWith}" does not exist under ${root}`);
  }

  const jobs: Job[] = [];
  for (const engine of options.engines) {
    const runs = ids.map((benchmark) => ({ benchmark, entries: DEFAULT_ENTRIES[benchmark] }));
    for (const benchmark of ids.filter((id) => SCALED.includes(id))) {
      for (const entries of options.quick ? QUICK_SCALE : SCALE) if (entries !== DEFAULT_ENTRIES[benchmark]) runs.push({ benchmark, entries });
    }
    const memoryEntries = options.quick ? undefined : MEMORY_ENTRIES;
    jobs.push({ subject: engine, kind: 'engine', runs, memoryEntries, sampler });
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
    jobs.push({ subject: peer.name, kind: 'peer', runs, memoryEntries, sampler });
  }
  if (ids.includes('get_model_hit')) {
    for (const floor of FLOOR_NAMES) {
      jobs.push({ subject: floor, kind: 'floor', runs: [], sampler });
    }
  }

  const raws: RawSample[] = [];
  const memory: MemoryFigure[] = [];
  const skips = new Map<string, { subject: string; reason: string }[]>();
  jobs.forEach((job, i) => {
    progress(`[${i + 1}/${jobs.length}] ${job.subject}`);
    for (const result of runWorker(job)) {
      if (result.type === 'sample') raws.push({ subject: job.subject, kind: job.kind, ...result });
      else if (result.type === 'skip') skips.set(result.benchmark, [...(skips.get(result.benchmark) ?? []), { subject: job.subject, reason: result.reason }]);
      else memory.push({ subject: job.subject, entries: result.entries, bytesPerEntry: result.bytesPerEntry, heapBytes: result.heapBytes, externalBytes: result.externalBytes });
    }
  });
  progress('analysing\n');

  const dirOf = (r: RawSample) => cellDir(root, r.benchmark, r.subject, r.entries, DEFAULT_ENTRIES[r.benchmark]);
  const cellsOf = new Map<string, Cell[]>();
  const scale = new Map<string, ScaleSeries>();
  for (const raw of raws) {
    const dir = dirOf(raw);
    const { cell, estimates, sample } = analyse(raw, resamples);
    writeNew(dir, { sampling_mode: 'Linear', ...sample }, estimates);
    const base = readBaseline(dir, options.compareWith);
    if (base !== undefined) {
      const comparison = compare(base, sample, { resamples });
      writeChange(dir, comparison);
      cell.change = { ...comparison, baseline: options.compareWith };
    }
    if (options.saveAs !== undefined) saveBaseline(dir, options.saveAs);
    if (raw.entries === DEFAULT_ENTRIES[raw.benchmark]) cellsOf.set(raw.benchmark, [...(cellsOf.get(raw.benchmark) ?? []), cell]);
    if (raw.kind === 'engine' && SCALED.includes(raw.benchmark)) {
      const key = `${raw.benchmark}/${raw.subject}`;
      const series = scale.get(key) ?? { benchmark: raw.benchmark, subject: raw.subject, points: [] };
      series.points.push({ entries: raw.entries, perUnit: cell.perUnit });
      series.points.sort((a, b) => a.entries - b.entries);
      scale.set(key, series);
    }
  }

  const exactPeers = new Set(PEERS.filter((p) => p.exactLru).map((p) => p.name));
  const summaries: BenchmarkSummary[] = benchmarks.map((b) => {
    const cells = cellsOf.get(b.id) ?? [];
    relate(cells, b.target, exactPeers);
    return { id: b.id, description: b.description, target: b.target, cells, skipped: skips.get(b.id) ?? [] };
  });
  const summary: Summary = {
    version: 1,
    environment: environment(options.quick),
    baseline: summaries.some((s) => s.cells.some((c) => c.change)) ? options.compareWith : undefined,
    benchmarks: summaries,
    scale: [...scale.values()],
    memory,
    skipped,
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
  print(summary);
  console.log(`\nreport: ${join(root, 'report', 'index.html')}`);

  let failed = false;
  if (options.failOn !== undefined) {
    for (const s of summaries) {
      for (const c of regressions(s.cells, options.failOn)) {
        console.error(`regressed: ${s.id}/${c.subject} by ${(c.change!.mean.point_estimate * 100).toFixed(1)}% (p = ${c.change!.pValue.toPrecision(2)})`);
        failed = true;
      }
    }
  }
  if (options.checkTargets) {
    for (const s of summaries) {
      for (const c of s.cells.filter((c) => c.targetMet === false)) {
        console.error(`target missed: ${s.id}/${c.subject} ${c.perUnit.point.toFixed(1)} ns > ${s.target.highNs} ns per ${s.target.unit}`);
        failed = true;
      }
    }
  }
  return failed ? 1 : 0;
}

function print(summary: Summary): void {
  const e = summary.environment;
  console.log(`\n${e.cpu}, ${e.cores} cores, Node ${e.node}${e.quick ? ' (quick)' : ''}`);
  for (const b of summary.benchmarks) {
    console.log(`\n${b.id}: ${b.description} (ns per ${b.target.unit}; target <= ${b.target.highNs})`);
    for (const c of [...b.cells].sort((x, y) => x.perUnit.point - y.perUnit.point)) {
      const ci = `[${c.perUnit.lower.toFixed(1)}, ${c.perUnit.upper.toFixed(1)}]`;
      const extra = [
        c.floor && `${c.floor.ratio.toFixed(2)}x floor`,
        c.bestPeer && `${c.bestPeer.ratio.toFixed(2)}x ${c.bestPeer.subject}`,
        c.change && `${(c.change.mean.point_estimate * 100).toFixed(1)}% ${c.change.verdict}`,
        c.targetMet === false && 'TARGET MISSED',
      ].filter(Boolean);
      console.log(`  ${c.subject.padEnd(16)} ${c.perUnit.point.toFixed(1).padStart(9)} ns ${ci.padEnd(20)} ${extra.join(', ')}`);
    }
    for (const s of b.skipped) console.log(`  ${s.subject.padEnd(16)} skipped: ${s.reason}`);
  }
  if (summary.memory.length > 0) {
    console.log(`\nmemory at ${MEMORY_ENTRIES} entries:`);
    for (const m of summary.memory) console.log(`  ${m.subject.padEnd(16)} ${m.bytesPerEntry.toFixed(0)} bytes per entry`);
  }
}
