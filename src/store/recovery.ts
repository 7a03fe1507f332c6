// Recovery: what open and gc make of the files in models/ and tmp/ that the
// journal does not account for. Damage is never answered by deletion: a
// model's file no record owns is re-adopted from its sidecar (sidecar.ts)
// when its content still matches, and otherwise moved to quarantine/, which
// only `gc({ quarantine: true })` empties. Only leftovers that the store
// itself marked for removal are deleted.

import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, makeDir, removeFile } from './files.js';
import type { ModelRecord } from './fold.js';
import { writerAlive } from './holder.js';
import { isJournalTemp } from './journal.js';
import { hashModel } from './model-files.js';
import { PARTIAL_NAME, worthKeeping } from './partials.js';
import { classify, metaName, readMeta, removedName } from './sidecar.js';

const TEMP_NAME = /^(\d+)-[0-9a-f]+\.(part|download)$/;

/** What to do with the names in models/, given the files the index owns. */
export interface ModelsPlan {
  /** Model files present. */
  present: Set<string>;
  /** Unowned files marked removed and without a sidecar: leftovers of a recorded removal. */
  leftovers: string[];
  /** Unowned files with a whole sidecar: re-adopted if their content matches it. */
  candidates: Omit<ModelRecord, 'accessed' | 'bad'>[];
  /** Unowned files with nothing to rebuild their model from. */
  orphans: string[];
  /** Owned files whose sidecar is missing or damaged, or that carry a stale removal mark. */
  repairs: string[];
  /** Sidecars and marks of files that are gone. */
  strays: string[];
}

export function planModels(models: string, owned: ReadonlySet<string>): ModelsPlan {
  const names = readdirSync(models);
  const all = new Set(names);
  const plan: ModelsPlan = { present: new Set(), leftovers: [], candidates: [], orphans: [], repairs: [], strays: [] };
  for (const name of names) {
    const { kind, file } = classify(name);
    if (kind === 'other') continue;
    if (kind !== 'model') {
      if (!all.has(file) && !owned.has(file)) plan.strays.push(name);
      continue;
    }
    plan.present.add(file);
    const meta = all.has(metaName(file)) ? readMeta(models, file) : undefined;
    if (owned.has(file)) {
      if (meta === undefined || all.has(removedName(file))) plan.repairs.push(file);
    } else if (meta !== undefined) plan.candidates.push(meta);
    else if (all.has(removedName(file)) && !all.has(metaName(file))) plan.leftovers.push(file);
    else plan.orphans.push(file);
  }
  return plan;
}

/** Whether a candidate's file (or directory) still holds what its sidecar says. */
export async function matches(models: string, candidate: Omit<ModelRecord, 'accessed' | 'bad'>) {
  try {
    const { bytes, sha256 } = await hashModel(join(models, candidate.file), candidate.files);
    return bytes === candidate.bytes && sha256 === candidate.sha256;
  } catch {
    return false;
  }
}

/**
 * Whether a candidate's file (or each file of its directory) has the size
 * its sidecar says: what a reader, which may not record an adoption and so
 * would hash at every open, checks instead of the content (verify hashes).
 */
export function sizesMatch(models: string, candidate: Omit<ModelRecord, 'accessed' | 'bad'>): boolean {
  const path = join(models, candidate.file);
  const files = candidate.files ?? [{ name: '', bytes: candidate.bytes }];
  return files.every((f) => {
    const stats = statSync(f.name === '' ? path : join(path, f.name), { throwIfNoEntry: false });
    return stats?.isFile() === true && stats.size === f.bytes;
  });
}

/** Moves a model's file and its sidecars into quarantine/; returns the name it has there. */
export async function quarantineFile(models: string, quarantine: string, file: string): Promise<string> {
  await makeDir(quarantine);
  let name = file;
  for (let n = 1; existsSync(join(quarantine, name)); n++) name = `${file}.${n}`;
  renameSync(join(models, file), join(quarantine, name));
  for (const side of [metaName(file), removedName(file)]) {
    try {
      renameSync(join(models, side), join(quarantine, side.replace(file, name)));
    } catch {
      // No such sidecar.
    }
  }
  await fsyncDir(quarantine);
  return name;
}

/** The model files in quarantine/ (sidecars not counted). */
export function quarantined(quarantine: string): string[] {
  try {
    return readdirSync(quarantine).filter((name) => classify(name.replace(/\.\d+$/, '')).kind === 'model');
  } catch {
    return [];
  }
}

/** Empties quarantine/; returns how many model files it held. */
export async function emptyQuarantine(quarantine: string): Promise<number> {
  const files = quarantined(quarantine);
  let names: string[];
  try {
    names = readdirSync(quarantine);
  } catch {
    return 0;
  }
  for (const name of names) await removeFile(join(quarantine, name));
  return files.length;
}

/**
 * Removes what crashes left in tmp/ and journal temporaries in `dir`. A
 * partial download whose writer is gone is kept while it is worth resuming,
 * unless `partials` is true (gc). Returns how many files it removed. Under the lock.
 */
export async function sweepTemps(dir: string, tmp: string, journalName: string, partials: boolean): Promise<number> {
  let removed = 0;
  for (const name of readdirSync(tmp)) {
    const path = join(tmp, name);
    const partial = PARTIAL_NAME.exec(name);
    const match = partial ?? TEMP_NAME.exec(name);
    const pid = match === null ? 0 : Number(match[1]);
    if (writerAlive(path, pid)) continue;
    if (partial !== null && !partials && (await worthKeeping(path))) continue;
    await removeFile(path);
    removed++;
  }
  // Journal rewrites happen under the lock, which the caller holds: any temporary one is a leftover.
  for (const name of readdirSync(dir)) {
    if (isJournalTemp(name, journalName)) {
      await removeFile(join(dir, name));
      removed++;
    }
  }
  return removed;
}

/**
 * Bytes of the downloads in tmp/: in progress or kept to resume, and the
 * files a multi-file download has gathered so far. They count against the limit.
 */
export function partialBytes(tmp: string): number {
  let bytes = 0;
  for (const name of listDir(tmp)) {
    if (name.endsWith('.download')) bytes += sizeOf(join(tmp, name));
    else if (name.endsWith('.part')) {
      const dir = join(tmp, name);
      for (const file of listDir(dir, true)) bytes += sizeOf(join(dir, file));
    }
  }
  return bytes;
}

/** The names in a directory (with `recursive`, its files' paths below it); none when it is gone or not one. */
function listDir(dir: string, recursive = false): string[] {
  try {
    return readdirSync(dir, { recursive }) as string[];
  } catch {
    return [];
  }
}

/** A regular file's size; 0 when it is gone meanwhile or is a directory. */
function sizeOf(path: string): number {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats?.isFile() === true ? stats.size : 0;
}
