// Partial downloads kept between runs, so that a fetch cut short (Ctrl-C, a
// crash, a network that stayed down) resumes where it stopped the next time
// the same model is fetched from the same URL.
//
// In <dir>/tmp/, beside the other temporary files:
//   <pid>-<tag><key>.download  the bytes so far; <pid> is the process writing it
//   <pid>-<tag><key>.json      { url, bytes, validator, total }: how many of
//                              those bytes are flushed to the disk, of which version
// <key> is a hash of the model id and the URL, <tag> the writer's boot and PID
// namespace (holder.ts), so that a process in another container does not take
// a live writer's partial for a dead one's; partials of versions before the
// tag have none, and their pid is taken at its word. A process takes over a partial
// whose writer is gone by renaming both files to its own pid; a rename is
// atomic, so of two processes racing for one, one wins and the other starts
// afresh.

import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartialDownload } from './download.js';
import { removeFile } from './files.js';
import { tempName, writerAlive, writing } from './holder.js';

/** Groups: the writer's pid, its namespace tag (none in older names), the key, the kind. */
export const PARTIAL_NAME = /^(\d+)-([0-9a-f]{8})?([0-9a-f]{32})\.(download|json)$/;

/** A partial nobody resumed for this long is removed when a store opens. */
const PARTIAL_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface Claim {
  /** Where to download: this process's name for the partial. */
  path: string;
  /** Its record. */
  meta: string;
  /** What the partial holds, if it can be resumed. */
  resume?: PartialDownload;
}

export function partialKey(id: string, url: string): string {
  return createHash('sha256').update(`${id}\0${url}`).digest('hex').slice(0, 32);
}

/**
 * Takes the partial download of `key` for this process: its own, or one
 * whose writer is gone. Resolves to undefined when this process is already
 * downloading it (another store object), which then downloads into a
 * private file. The claim is marked as being written before anything is
 * awaited.
 */
export async function claimPartial(tmp: string, key: string, url: string): Promise<Claim | undefined> {
  const path = join(tmp, tempName('download', key));
  if (writing.has(path)) return undefined;
  writing.add(path);
  const meta = metaOf(path);
  try {
    const resume = await takeOver(tmp, key, path, url);
    if (resume === undefined) {
      await removeFile(path);
      await removeFile(meta);
    }
    return { path, meta, resume };
  } catch (error) {
    writing.delete(path);
    throw error;
  }
}

/** Renames a partial of `key` whose writer is gone to `path` and reads what it holds. */
async function takeOver(tmp: string, key: string, path: string, url: string): Promise<PartialDownload | undefined> {
  const meta = metaOf(path);
  for (const name of await readdir(tmp)) {
    const match = PARTIAL_NAME.exec(name);
    if (match === null || match[3] !== key || match[4] !== 'download') continue;
    const found = join(tmp, name);
    if (found !== path) {
      if (writerAlive(found, Number(match[1]))) continue;
      try {
        renameSync(found, path);
      } catch {
        continue;
      }
      // A record of ours left from an earlier process with this pid must not vouch for these bytes.
      await removeFile(meta);
      try {
        renameSync(metaOf(found), meta);
      } catch {
        // No record: the bytes cannot be trusted.
      }
    }
    return readRecord(path, meta, url);
  }
  return undefined;
}

/** Writes a partial's record and flushes it: it must never vouch for bytes the disk does not hold. */
export function recordPartial(meta: string, url: string, partial: PartialDownload): void {
  const fd = openSync(meta, 'w');
  try {
    writeSync(fd, JSON.stringify({ url, bytes: partial.bytes, validator: partial.validator, total: partial.total }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function metaOf(path: string): string {
  return path.replace(/\.download$/, '.json');
}

/**
 * Whether a partial download whose writer is gone is worth keeping, asked of
 * either of its files: its record vouches for some bytes, and it was written
 * to within PARTIAL_MAX_AGE_MS.
 */
export async function worthKeeping(file: string): Promise<boolean> {
  const path = file.replace(/\.json$/, '.download');
  try {
    const { mtimeMs } = await stat(path);
    return Date.now() - mtimeMs < PARTIAL_MAX_AGE_MS && (await readRecord(path, metaOf(path))) !== undefined;
  } catch {
    return false;
  }
}

/** The record of a partial (of `url`, if given), if it is whole and its bytes are there. */
async function readRecord(path: string, meta: string, url?: string): Promise<PartialDownload | undefined> {
  let record: unknown;
  let size: number;
  try {
    record = JSON.parse(readFileSync(meta, 'utf8'));
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  const { url: recorded, bytes, validator, total } = (record ?? {}) as Record<string, unknown>;
  if (typeof recorded !== 'string' || (url !== undefined && recorded !== url)) return undefined;
  if (typeof validator !== 'string' || validator === '') return undefined;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0 || bytes > size) return undefined;
  if (total !== undefined && (typeof total !== 'number' || !Number.isSafeInteger(total) || total < bytes))
    return undefined;
  return { bytes, validator, total };
}
