// Multi-file models: one id that holds several files (a safetensors model's
// shards, its config.json and tokenizer files), kept as one directory in
// models/ and sized, evicted and verified as one entry. The entry's sha256 is
// the SHA-256 of its manifest (each file's name, size and SHA-256, in name
// order), so one hash still names the whole content, and a changed model gets
// a new directory name (ids.ts) as a changed single file gets a new file name.

import { createHash } from 'node:crypto';
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe } from '../cache/check.js';
import { fsyncDir, hashFile, type Hashed } from './files.js';
import { provenance, provenanceOf, type Provenance } from './provenance.js';
import { isByteCount, isSha256 } from './ids.js';
import type { Source } from './hub.js';

/** One file of a multi-file model, with where it came from. */
export interface ModelFile extends Provenance {
  /** Its path in the model's directory, `/`-separated: `model-00001-of-00002.safetensors`, `onnx/model.onnx`. */
  name: string;
  bytes: number;
  /** SHA-256 of its content, lower-case hex. */
  sha256: string;
}

const MAX_NAME_LENGTH = 1024;

/** Whether a name can be a file's path in a model's directory: relative, without `.`, `..` or empty parts. */
export function isFileName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  return name
    .split('/')
    .every(
      (part) =>
        part !== '' &&
        part !== '.' &&
        part !== '..' &&
        Buffer.byteLength(part) <= 255 &&
        ![...part].some((c) => c === '\\' || c.charCodeAt(0) < 0x20),
    );
}

/** The manifest hash of a set of files: what a multi-file model's `sha256` is. */
export function manifestSha256(files: readonly { name: string; bytes: number; sha256: string }[]): string {
  const manifest = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => [f.name, f.bytes, f.sha256]);
  return createHash('sha256').update(JSON.stringify(manifest)).digest('hex');
}

/**
 * A record's or sidecar's `files`: undefined for a single-file model, null
 * when the field is there but does not add up to the record's bytes and sha256.
 */
export function filesOf(record: Record<string, unknown>): ModelFile[] | undefined | null {
  const { files, bytes, sha256 } = record;
  if (files === undefined) return undefined;
  if (!Array.isArray(files) || files.length === 0) return null;
  const out: ModelFile[] = [];
  const names = new Set<string>();
  for (const value of files as unknown[]) {
    const f = (value ?? {}) as Record<string, unknown>;
    if (!isFileName(f.name) || names.has(f.name) || !isSha256(f.sha256)) return null;
    if (!isByteCount(f.bytes)) return null;
    names.add(f.name);
    out.push({ name: f.name, bytes: f.bytes, sha256: f.sha256, ...provenanceOf(f) });
  }
  const total = out.reduce((sum, f) => sum + f.bytes, 0);
  return total === bytes && manifestSha256(out) === sha256 ? out : null;
}

/** A multi-file model's files as the journal and sidecars carry them: the known fields only. */
export function fileRecords(files: readonly ModelFile[]): ModelFile[] {
  return files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256, ...provenance(f) }));
}

/**
 * The name a source's file has in a multi-file model's directory: the file's
 * path in its Hub repository, or the last part of a URL's path.
 */
export function fileNameOf(source: Source, name: string): string {
  let file = source.hub?.file;
  if (file === undefined) {
    const last = new URL(source.url).pathname.split('/').pop() ?? '';
    try {
      file = decodeURIComponent(last);
    } catch {
      file = last;
    }
  }
  if (!isFileName(file))
    throw new RangeError(
      `${name} must name a file (its URL's path must end in a file name), got ${describe(source.text)}`,
    );
  return file;
}

/**
 * What a model's content hashes to now: its file's, or for a multi-file
 * model (`files`) its manifest's over the files listed. Throws ENOENT when the
 * file or directory is gone; a listed file that is gone counts as changed.
 */
export async function hashModel(path: string, files: readonly ModelFile[] | undefined): Promise<Hashed> {
  if (files === undefined) return hashFile(path);
  if (!(await stat(path)).isDirectory()) return { bytes: -1, sha256: '' };
  const found: ModelFile[] = [];
  for (const file of files) {
    try {
      found.push({ name: file.name, ...(await hashFile(join(path, file.name))) });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
      return { bytes: -1, sha256: '' };
    }
  }
  return { bytes: found.reduce((sum, f) => sum + f.bytes, 0), sha256: manifestSha256(found) };
}

/** Moves a downloaded file into a multi-file model's directory `dir` under its name, durably. */
export async function stageFile(dir: string, name: string, temp: string): Promise<void> {
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await rename(temp, path);
  // The rename, and each directory it needed, made durable.
  for (let d = dirname(path); d.length >= dir.length; d = dirname(d)) await fsyncDir(d);
}
