// `compare`'s model: summaries of runs on other hosts or days, each checked
// as it is read, merged into one table per benchmark with a column per run.
// A time from one host says little beside another host's, so each figure
// keeps its ratio to the floor measured in its own run; and a run under an
// emulator is marked, since neither its times nor its ratios are a native
// machine's. Pure functions; compare.ts reads the files and prints.

import { BACKENDS } from 'caro-cache';
import type { Environment, Interval, Summary, SubjectKind } from './summary.js';

/** A summary as read, and the file it came from. */
export interface Run {
  file: string;
  summary: Summary;
}

export interface MergedRun extends Run {
  /** The column's name: the host's platform and arch, numbered where runs share one. */
  name: string;
}

export interface MergedFigure {
  perUnit: Interval;
  /** The ratio to the engine's floor in the same run, where the benchmark has one. */
  floorRatio?: number;
}

export interface MergedRow {
  subject: string;
  kind: SubjectKind;
  /** One per run, in the runs' order; undefined where that run did not measure the subject. */
  figures: (MergedFigure | undefined)[];
}

export interface Merged {
  runs: MergedRun[];
  benchmarks: { id: string; description: string; unit: string; rows: MergedRow[] }[];
}

const KINDS: readonly SubjectKind[] = ['engine', 'peer', 'floor'];

type Check = (ok: boolean, what: string) => asserts ok;

/** Checks `value` against the fields compare reads; `fail` names the first that is wrong. */
function checkShape(value: Record<string, unknown>, fail: Check): void {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const string = (v: unknown, at: string) => fail(typeof v === 'string', `${at} is not a string`);
  const number = (v: unknown, at: string) => fail(typeof v === 'number' && Number.isFinite(v), `${at} is not a number`);
  const env = value.environment;
  fail(isObject(env), 'it has no environment');
  for (const key of ['cpu', 'node', 'v8', 'platform', 'arch', 'date', 'version', 'commit'] as const)
    string(env[key], `environment.${key}`);
  for (const key of ['cores', 'memoryBytes'] as const) number(env[key], `environment.${key}`);
  fail(env.emulated === undefined || typeof env.emulated === 'boolean', 'environment.emulated is not true or false');
  fail(Array.isArray(value.benchmarks), 'it has no list of benchmarks');
  value.benchmarks.forEach((b: unknown, i) => {
    const at = `benchmarks[${i}]`;
    fail(isObject(b), `${at} is not an object`);
    string(b.id, `${at}.id`);
    fail(isObject(b.target), `${at}.target is missing`);
    string(b.target.unit, `${at}.target.unit`);
    fail(Array.isArray(b.cells), `${at}.cells is not a list`);
    b.cells.forEach((c: unknown, j) => {
      const cat = `${at}.cells[${j}]`;
      fail(isObject(c), `${cat} is not an object`);
      string(c.subject, `${cat}.subject`);
      fail(KINDS.includes(c.kind as SubjectKind), `${cat}.kind is not one of ${KINDS.join(', ')}`);
      fail(isObject(c.perUnit), `${cat}.perUnit is missing`);
      for (const key of ['point', 'lower', 'upper'] as const) number(c.perUnit[key], `${cat}.perUnit.${key}`);
      if (c.floor !== undefined) {
        fail(isObject(c.floor), `${cat}.floor is not an object`);
        number(c.floor.ratio, `${cat}.floor.ratio`);
      }
    });
  });
}

/** The summary in `text`, read from `file`; throws one error naming the file and what is wrong. */
export function parseSummary(file: string, text: string): Summary {
  const fail: Check = (ok, what) => {
    if (!ok) throw new Error(`${file}: not a caro-cache-bench summary: ${what}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
  fail(typeof value === 'object' && value !== null && !Array.isArray(value), 'not a JSON object');
  const fields = value as Record<string, unknown>;
  if (fields.measure === 'instructions') {
    throw new Error(`${file}: an instruction-count summary (--measure instructions); compare reads time summaries`);
  }
  fail('environment' in fields && 'benchmarks' in fields, 'it has no environment and benchmarks');
  if (fields.version !== 1) {
    throw new Error(`${file}: summary version ${JSON.stringify(fields.version)}; this harness reads version 1`);
  }
  checkShape(fields, fail);
  return value as Summary;
}

/** Whether a run's times are an emulator's (summaries from before the field count as native). */
export function isEmulatedRun(environment: Environment): boolean {
  return environment.emulated === true;
}

/** Column names: platform-arch, with #1, #2... where more than one run has the same. */
function columnNames(runs: readonly Run[]): string[] {
  const base = runs.map(({ summary: { environment: e } }) => `${e.platform}-${e.arch}`);
  return base.map((name, i) => {
    const same = base.filter((b) => b === name).length;
    return same === 1 ? name : `${name} #${base.slice(0, i + 1).filter((b) => b === name).length}`;
  });
}

/** Engines in the library's order, then the other subjects by kind, each in the order first met. */
function rank(subject: string, kind: SubjectKind): number {
  const engine = (BACKENDS as readonly string[]).indexOf(subject);
  return engine >= 0 ? engine : BACKENDS.length + KINDS.indexOf(kind);
}

/** The runs' benchmarks merged: one table per benchmark id, a column per run, a row per subject. */
export function mergeRuns(runs: readonly Run[]): Merged {
  const names = columnNames(runs);
  const ids = [...new Set(runs.flatMap((r) => r.summary.benchmarks.map((b) => b.id)))];
  const benchmarks = ids.map((id) => {
    const each = runs.map((r) => r.summary.benchmarks.find((b) => b.id === id));
    const first = each.find((b) => b !== undefined)!;
    const subjects = new Map<string, SubjectKind>();
    for (const b of each) for (const c of b?.cells ?? []) if (!subjects.has(c.subject)) subjects.set(c.subject, c.kind);
    const order = [...subjects.keys()];
    const rows = [...subjects]
      .sort(([a, ak], [b, bk]) => rank(a, ak) - rank(b, bk) || order.indexOf(a) - order.indexOf(b))
      .map(([subject, kind]) => ({
        subject,
        kind,
        figures: each.map((b): MergedFigure | undefined => {
          const cell = b?.cells.find((c) => c.subject === subject);
          return cell && { perUnit: cell.perUnit, floorRatio: cell.floor?.ratio };
        }),
      }));
    return { id, description: first.description ?? '', unit: first.target.unit, rows };
  });
  return { runs: runs.map((r, i) => ({ ...r, name: names[i]! })), benchmarks };
}
