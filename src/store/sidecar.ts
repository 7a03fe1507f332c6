// The record kept beside each model's file, so that a lost or damaged journal
// can be rebuilt from the files:
//
//   models/<file>.meta.json   { id, bytes, sha256, addedAt, source?, revision?, commit?, etag?, files? }:
//                             the model this file (or a multi-file model's directory) is
//   models/<file>.removed     the model's removal has begun (its record may be on the disk)
//
// A removal renames the first into the second before its record is written,
// so a file with a `.meta.json` was never removed, and a file with only a
// `.removed` is the leftover of a removal. Neither suffix can end a model's
// file name (ids.ts), so the three kinds of name never mix.

import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncFd, removeFile } from './files.js';
import type { ModelRecord } from './fold.js';
import { fileNameFor, isByteCount, isId, isModelFileName, isSha256 } from './ids.js';
import { filesOf, fileRecords } from './model-files.js';
import { provenanceOf } from './provenance.js';

const META = '.meta.json';
const REMOVED = '.removed';

export const metaName = (file: string) => `${file}${META}`;
export const removedName = (file: string) => `${file}${REMOVED}`;

/** What a name in models/ is: a model's file, a sidecar of one, or something else. */
export function classify(name: string): { kind: 'model' | 'meta' | 'removed' | 'other'; file: string } {
  for (const [suffix, kind] of [
    [META, 'meta'],
    [REMOVED, 'removed'],
  ] as const) {
    if (name.endsWith(suffix) && isModelFileName(name.slice(0, -suffix.length)))
      return { kind, file: name.slice(0, -suffix.length) };
  }
  return { kind: isModelFileName(name) ? 'model' : 'other', file: name };
}

/** Writes and flushes the sidecar of a model (the directory is flushed by the caller, with the model's rename). */
export async function writeMeta(models: string, model: ModelRecord): Promise<void> {
  const { id, bytes, sha256, addedAt, source, revision, commit, etag, files } = model;
  const data = JSON.stringify({
    id,
    bytes,
    sha256,
    addedAt,
    source,
    revision,
    commit,
    etag,
    files: files && fileRecords(files),
  });
  const fd = openSync(join(models, metaName(model.file)), 'w');
  try {
    writeSync(fd, data);
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** The model the sidecar of `file` describes, if it is whole and names that file. */
export function readMeta(models: string, file: string): Omit<ModelRecord, 'accessed' | 'bad'> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(join(models, metaName(file)), 'utf8'));
  } catch {
    return undefined;
  }
  const fields = (value ?? {}) as Record<string, unknown>;
  const { id, bytes, sha256, addedAt } = fields;
  if (!isId(id) || !isSha256(sha256) || typeof addedAt !== 'string' || Number.isNaN(Date.parse(addedAt)))
    return undefined;
  if (!isByteCount(bytes)) return undefined;
  if (fileNameFor(id, sha256) !== file) return undefined;
  const files = filesOf(fields);
  if (files === null) return undefined;
  const meta = { id, file, bytes, sha256, addedAt, ...provenanceOf(fields) };
  return files === undefined ? meta : { ...meta, files };
}

/**
 * Marks the removal of `file` as begun: its sidecar becomes its `.removed`
 * marker (created empty if it had none). Needs no disk space beyond an inode.
 */
export function markRemoved(models: string, file: string): void {
  try {
    renameSync(join(models, metaName(file)), join(models, removedName(file)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    closeSync(openSync(join(models, removedName(file)), 'w'));
  }
}

/** Undoes `markRemoved` for a file that is a model's after all. */
export function unmarkRemoved(models: string, file: string): void {
  try {
    renameSync(join(models, removedName(file)), join(models, metaName(file)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Removes a model's file and then its sidecars. */
export async function removeModelFile(models: string, file: string): Promise<void> {
  await removeFile(join(models, file));
  await removeFile(join(models, metaName(file)));
  await removeFile(join(models, removedName(file)));
}
