// Criterion's output layout: target/criterion/cache/<benchmark>/<subject>/
// with new/, <baseline>/ and change/, each holding criterion-shaped JSON
// (times in ns). A run writes new/ and, once compared, moves it to the
// baseline's name so the next run compares against it.

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison, Estimates } from './stats/index.js';

export interface SampleFile {
  sampling_mode: 'Linear';
  iters: number[];
  times: number[];
  /** Which process took each sample, where more than one did. */
  processes?: number[];
}

/** A benchmark cell's directory name: subject, and the entry count where it is not the default. */
export function cellDir(
  root: string,
  benchmark: string,
  subject: string,
  entries: number,
  defaultEntries: number,
): string {
  const name = subject.replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(root, benchmark, entries === defaultEntries ? name : `${name}-${entries}`);
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeNew(dir: string, sample: SampleFile, estimates: Estimates): void {
  mkdirSync(join(dir, 'new'), { recursive: true });
  writeJson(join(dir, 'new', 'sample.json'), sample);
  writeJson(join(dir, 'new', 'estimates.json'), estimates);
}

export function readBaseline(dir: string, baseline: string): SampleFile | undefined {
  const path = join(dir, baseline, 'sample.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SampleFile) : undefined;
}

export function writeChange(dir: string, change: Comparison): void {
  mkdirSync(join(dir, 'change'), { recursive: true });
  writeJson(join(dir, 'change', 'estimates.json'), { mean: change.mean, median: change.median });
}

/** Saves this run's new/ as the named baseline. */
export function saveBaseline(dir: string, baseline: string): void {
  rmSync(join(dir, baseline), { recursive: true, force: true });
  cpSync(join(dir, 'new'), join(dir, baseline), { recursive: true });
}

/** Whether any cell of these benchmarks has the named baseline. */
export function baselineExists(root: string, benchmarks: string[], baseline: string): boolean {
  return benchmarks.some((benchmark) => {
    const dir = join(root, benchmark);
    return existsSync(dir) && readdirSync(dir).some((cell) => existsSync(join(dir, cell, baseline, 'sample.json')));
  });
}
