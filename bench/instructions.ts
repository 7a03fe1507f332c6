// `--measure instructions`: instructions per operation instead of time,
// counted by valgrind's callgrind, so that a verdict cannot be moved by a
// machine that drifts, a busy neighbour or a slower CPU.
//
// Each cell runs in a process of its own under callgrind with V8 made
// repeatable: no concurrent compilation or GC threads (--predictable) and
// fixed hash and random seeds. The worker marks the edges of every batch by
// reading process.ppid, and callgrind (--dump-before=getppid) starts a new
// dump at each mark, so each batch's count is exact. An empty window beside
// every batch gives what the marks themselves cost, which is subtracted.
//
// What counts cannot show: memory stalls and cache misses (an instruction
// that waits 100 ns for DRAM counts as one), which is what the 10^6 scale
// series measures, so it is left out; and the kernel's work.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellDir, saveBaseline, writeJson } from './criterion.js';
import { renderInstructionsReport } from './report/instructions.js';
import { median } from './stats/index.js';
import type { Against } from './against.js';
import type { Options } from './options.js';
import type { Job, WorkerResult } from './worker.js';

/** Batches run before counting: enough for every routine to reach V8's optimising tier. */
const WARM_UP_BATCHES = 300;
const COUNTED_BATCHES = 20;
/** Flags that make V8's work the same from run to run. */
const REPEATABLE_V8 = ['--predictable', '--hash-seed=1', '--random-seed=1'];
const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

/** One cell of the plan: an engine (or the other version's, `ts@ref`) or an exact peer, on one benchmark at one size. */
export interface CountCell {
  benchmark: string;
  subject: string;
  kind: 'engine' | 'peer';
  entries: number;
  /** The default size of the benchmark, which names the cell's directory without a suffix. */
  defaultEntries: number;
  /** The worker of another version, for --against. */
  script?: string;
  /** Why it cannot be counted (another version that lacks the benchmark): reported as skipped. */
  absent?: string;
}

export interface Counted {
  benchmark: string;
  subject: string;
  kind: 'engine' | 'peer';
  entries: number;
  /** Instructions per unit of the benchmark (operation or evicted entry). */
  perUnit: number;
  change?: { baseline: string; base: number; ratio: number; verdict: 'improved' | 'regressed' | 'no change' };
}

/** What was counted where: the run's stamp and the counter. */
export interface CountStamp {
  [key: string]: unknown;
  counter: string;
  date: string;
  cpu: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  version: string;
  commit: string;
  against?: string;
}

/** The stamp with the flags that made V8 repeatable. */
export type CountEnvironment = CountStamp & { v8Flags: string };

/** instructions/summary.json: every count, and the cells that could not be counted, as "benchmark/subject: why". */
export interface InstructionsSummary {
  version: 1;
  measure: 'instructions';
  environment: CountEnvironment;
  /** Counted batches per cell, whose median each count is. */
  batches: number;
  /** The saved baseline the changes are taken against, without --against. */
  baseline?: string;
  results: Counted[];
  skipped: string[];
}

interface CountFile {
  instructionsPerUnit: number;
  unitsPerBatch: number;
  /** Each counted batch's window and the empty window after it, in instructions. */
  windows: [number, number][];
}

/** The version of valgrind, or why it cannot count here. */
export function counter(): string {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error('--measure instructions needs valgrind (Debian: apt-get install valgrind)');
  }
  return `${probe.stdout.trim()} callgrind`;
}

/** The instruction count of each numbered dump callgrind wrote into `dir`. */
function dumps(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const name of readdirSync(dir)) {
    const part = /^cg\.\d+\.(\d+)$/.exec(name);
    if (part === null) continue;
    const total = /^(?:totals|summary):\s*(\d+)/m.exec(readFileSync(join(dir, name), 'utf8'));
    if (total === null) throw new Error(`callgrind dump ${name} has no instruction total`);
    counts.set(Number(part[1]), Number(total[1]));
  }
  return counts;
}

/** Runs one cell under callgrind; returns its counts, or why the subject cannot run it. */
async function countCell(cell: CountCell): Promise<CountFile | string> {
  if (cell.absent !== undefined) return cell.absent;
  const dir = mkdtempSync(join(tmpdir(), 'caro-callgrind-'));
  try {
    const job: Job = {
      type: 'count',
      subject: cell.subject.split('@')[0],
      kind: cell.kind,
      benchmark: cell.benchmark,
      entries: cell.entries,
      warmUp: WARM_UP_BATCHES,
      batches: COUNTED_BATCHES,
    };
    const args = [
      '--tool=callgrind',
      '--dump-before=getppid',
      '--dump-instr=no',
      '--dump-line=no',
      `--callgrind-out-file=${join(dir, 'cg.%p')}`,
      process.execPath,
      ...REPEATABLE_V8,
      cell.script ?? workerPath,
      JSON.stringify(job),
    ];
    const child = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const name = `${cell.subject} on ${cell.benchmark} at ${cell.entries} entries`;
    if (code !== 0)
      throw new Error(`counting ${name} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`);
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as WorkerResult;
    if (result.type === 'skip') return result.reason;
    if (result.type !== 'counted') {
      throw new Error(
        `the worker of ${cell.subject} cannot count instructions: its version predates --measure instructions`,
      );
    }
    const counts = dumps(dir);
    if (counts.size !== 4 * COUNTED_BATCHES) {
      throw new Error(
        `${name}: callgrind made ${counts.size} dumps, not ${4 * COUNTED_BATCHES}: something else called getppid`,
      );
    }
    // Marks 4b+1 .. 4b+4 bound batch b; dump k holds what ran up to mark k.
    const windows = Array.from({ length: COUNTED_BATCHES }, (_, b): [number, number] => [
      counts.get(4 * b + 2)!,
      counts.get(4 * b + 4)!,
    ]);
    // The median batch: a garbage collection lands in one batch or another
    // from run to run, which would move a mean by a fraction of a percent.
    return {
      instructionsPerUnit: median(windows.map(([run, empty]) => run - empty)) / result.unitsPerBatch,
      unitsPerBatch: result.unitsPerBatch,
      windows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `tasks` with at most `limit` at once: counts do not depend on sharing the CPU. */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The peer that counts fewest instructions on `cell`'s benchmark at its size. */
export function fastestPeer(results: Counted[], cell: Counted): Counted | undefined {
  return results
    .filter((r) => r.kind === 'peer' && r.benchmark === cell.benchmark && r.entries === cell.entries)
    .reduce<Counted | undefined>((best, r) => (best === undefined || r.perUnit < best.perUnit ? r : best), undefined);
}

const verdictOf = (ratio: number, noise: number) =>
  Math.abs(ratio - 1) <= noise ? 'no change' : ratio > 1 ? 'regressed' : 'improved';

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/**
 * Counts every cell, compares each engine with the other version's (--against)
 * or with the saved baseline, prints the table and applies the gate; returns
 * the exit code.
 */
export async function runInstructions(
  options: Options,
  cells: CountCell[],
  against: Against | undefined,
  stamp: CountStamp,
  progress: (text: string) => void,
): Promise<number> {
  const root = join(options.out, 'instructions');
  const environment: CountEnvironment = { ...stamp, v8Flags: REPEATABLE_V8.join(' ') };
  let done = 0;
  progress(`counting instructions of ${cells.length} cells under callgrind, ${availableParallelism()} at a time\n`);
  const counted = await pool(cells, availableParallelism(), async (cell) => {
    const result = await countCell(cell);
    progress(`[${++done}/${cells.length}] ${cell.benchmark}: ${cell.subject} at ${cell.entries} entries`);
    return result;
  });
  const results: Counted[] = [];
  /** Each result's directory of criterion-shaped files. */
  const dirs = new Map<Counted, string>();
  const skipped: string[] = [];
  cells.forEach((cell, i) => {
    const file = counted[i];
    if (typeof file === 'string') {
      skipped.push(`${cell.benchmark}/${cell.subject}: ${file}`);
      return;
    }
    const dir = cellDir(root, cell.benchmark, cell.subject, cell.entries, cell.defaultEntries);
    mkdirSync(join(dir, 'new'), { recursive: true });
    writeJson(join(dir, 'new', 'instructions.json'), file);
    const result = {
      benchmark: cell.benchmark,
      subject: cell.subject,
      kind: cell.kind,
      entries: cell.entries,
      perUnit: file.instructionsPerUnit,
    };
    results.push(result);
    dirs.set(result, dir);
  });
  // Only this version's engines change; the peers are the mark they are held to.
  for (const r of results) {
    if (r.kind !== 'engine' || r.subject.includes('@')) continue;
    const base =
      against === undefined
        ? baseCount(dirs.get(r)!, options.compareWith)
        : results.find(
            (o) =>
              o.subject === `${r.subject}@${against.label}` && o.benchmark === r.benchmark && o.entries === r.entries,
          )?.perUnit;
    if (base === undefined) continue;
    const ratio = r.perUnit / base;
    r.change = {
      baseline: against?.label ?? options.compareWith,
      base,
      ratio,
      verdict: verdictOf(ratio, options.noiseThreshold),
    };
  }
  if (options.saveAs !== undefined) {
    for (const r of results) if (!r.subject.includes('@')) saveBaseline(dirs.get(r)!, options.saveAs);
  }
  const summary: InstructionsSummary = {
    version: 1,
    measure: 'instructions',
    environment,
    batches: COUNTED_BATCHES,
    ...(against === undefined && results.some((r) => r.change !== undefined) ? { baseline: options.compareWith } : {}),
    results,
    skipped,
  };
  writeJson(join(root, 'summary.json'), summary);
  mkdirSync(join(root, 'report'), { recursive: true });
  writeFileSync(join(root, 'report', 'index.html'), renderInstructionsReport(summary));

  console.log(`\n== instructions: ${environment.counter}; Node ${process.version} ${environment.v8Flags}`);
  for (const r of results) {
    const change = r.change && `${pct(r.change.ratio - 1)} ${r.change.verdict} against ${r.change.baseline}`;
    const peer = r.kind === 'engine' ? fastestPeer(results, r) : undefined;
    const mark = peer && `${(r.perUnit / peer.perUnit).toFixed(2)}x ${peer.subject}`;
    const notes = [change, mark].map((note) => (note ? `, ${note}` : '')).join('');
    console.log(
      `  ${`${r.benchmark}/${r.subject}`.padEnd(32)} ${String(r.entries).padStart(7)} entries ${r.perUnit.toFixed(0).padStart(9)} instructions per unit${notes}`,
    );
  }
  for (const s of skipped) console.log(`  skipped: ${s}`);
  console.log(
    `\nsummary: ${join(root, 'summary.json')} (instruction counts do not show memory stalls or the kernel's work)`,
  );
  console.log(`report: ${join(root, 'report', 'index.html')}`);

  if (options.failOn === undefined) return 0;
  const regressed = results.filter((r) => r.change !== undefined && r.change.ratio - 1 > options.failOn! / 100);
  for (const r of regressed) {
    console.error(
      `regressed: instructions/${r.benchmark}/${r.subject} at ${r.entries} entries: ${pct(r.change!.ratio - 1)}, beyond ${options.failOn}%`,
    );
  }
  const compared = results.filter((r) => r.change !== undefined).length;
  console.error(regressed.length === 0 ? `gate: ${compared} changes, none beyond ${options.failOn}%` : 'gate: failed');
  return regressed.length === 0 ? 0 : 1;
}

/** The count saved as `baseline` in a cell's directory, if there is one. */
function baseCount(dir: string, baseline: string): number | undefined {
  const path = join(dir, baseline, 'instructions.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CountFile).instructionsPerUnit : undefined;
}
