// `caro-cache-bench compare <summary.json>...`: runs from different hosts or
// days in one terminal table, critcmp's way (a column per run, a row per
// subject), and in one self-contained HTML page. Every file is read and
// checked before anything is printed, so a bad one is one error naming it.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isEmulatedRun, mergeRuns, parseSummary, type Merged, type Run } from './merge.js';
import { renderComparison } from './report/compare.js';
import { fmtNs, fmtRatio } from './report/format.js';

export const COMPARE_USAGE = `Usage: caro-cache-bench compare <summary.json>... [--out DIR]

Merges the summaries of runs on other hosts or days (target/criterion/<group>/summary.json)
into one table, a column per run, each time beside its ratio to the floor measured in its
own run, which is what compares across hosts. Runs under an emulator are marked: their
times are not comparable with a native run's.

  --out DIR    where the HTML page goes (default: target/criterion/compare)
  --help       this text`;

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
};

function readRun(file: string): Run {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new Error(`${file}: cannot be read: ${READ_ERRORS[code] ?? (error as Error).message}`, { cause: error });
  }
  return { file, summary: parseSummary(file, text) };
}

/** Plain text columns: the first left aligned, the others right aligned. */
function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
    .map((line) => `  ${line.trimEnd()}`)
    .join('\n');
}

function print(merged: Merged): void {
  const emulated = (i: number) => isEmulatedRun(merged.runs[i]!.summary.environment);
  const heads = merged.runs.map((r, i) => (emulated(i) ? `${r.name} (emulated)` : r.name));
  console.log('runs:');
  for (const [i, { name, file, summary }] of merged.runs.entries()) {
    const e = summary.environment;
    const what = [
      `${e.cpu}, ${e.cores} cores`,
      `Node ${e.node}`,
      `${e.platform}/${e.arch}`,
      emulated(i) ? 'EMULATED: times not comparable' : 'native',
      e.quick ? 'quick' : undefined,
      e.date,
      `commit ${e.commit.slice(0, 12)}`,
    ].filter(Boolean);
    console.log(`  ${name}: ${what.join(', ')} (${file})`);
  }
  for (const b of merged.benchmarks) {
    console.log(`\n${b.id} (time per ${b.unit}, and an engine's ratio to its floor in the same run)`);
    const rows = b.rows.map((row) => [
      row.subject,
      ...row.figures.flatMap((f) => [
        f === undefined ? '-' : fmtNs(f.perUnit.point),
        f?.floorRatio === undefined ? '' : fmtRatio(f.floorRatio),
      ]),
    ]);
    console.log(columns([['subject', ...heads.flatMap((h) => [h, '× floor'])], ...rows]));
  }
  if (merged.runs.some((_, i) => emulated(i))) {
    console.log('\n(emulated): run under an emulator (qemu-user); neither its times nor its ratios are native ones');
  }
}

/** Runs `compare` with the arguments after it; returns the exit code. */
export function runCompare(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string' }, help: { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new RangeError(`compare: ${(error as Error).message.split('\n')[0]} (compare --help lists the options)`, {
      cause: error,
    });
  }
  if (parsed.values.help) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  if (parsed.positionals.length === 0) throw new RangeError('compare needs one summary.json or more');
  const merged = mergeRuns(parsed.positionals.map(readRun));
  print(merged);
  const dir = resolve(parsed.values.out ?? join('target', 'criterion', 'compare'));
  mkdirSync(dir, { recursive: true });
  const page = join(dir, 'index.html');
  writeFileSync(page, renderComparison(merged));
  console.log(`\nreport (compare): ${page}`);
  return 0;
}
