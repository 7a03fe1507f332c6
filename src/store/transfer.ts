// A fetch's bytes, from the server to a staged file the store commits: each
// source downloaded into a partial that a later fetch (in any process) can
// resume, a multi-file model's files gathered in one directory of tmp/ that
// becomes the model's in one rename, and the HEAD requests that tell whether
// the version the store has is still the server's. The store's lock, index
// and journal stay with the caller, behind `Staging`.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { download, probe, type Downloaded } from './download.js';
import { ChecksumMismatchError, DiskError } from './errors.js';
import { makeDir, removeFile, type Hashed } from './files.js';
import type { Source } from './hub.js';
import { tempName, writing } from './holder.js';
import type { Progress } from './inflight.js';
import { manifestSha256, stageFile, type ModelFile } from './model-files.js';
import { claimPartial, partialKey, recordPartial } from './partials.js';
import { provenance, type Provenance } from './provenance.js';
import type { Request } from './request.js';

/** What a transfer needs of the store. */
export interface Staging<T> {
  /** The store's tmp/. */
  tmp: string;
  /** The store's limit, read as each file starts. */
  maxBytes(): number;
  /** The downloads running, for close to stop. */
  downloads: Set<AbortController>;
  /** Places the staged file or directory as the model, under the lock. */
  commit(temp: string, hashed: Hashed, from: Provenance, files?: ModelFile[]): Promise<T>;
}

/** Whether the server still names, by ETag, the version the store has of every file (one HEAD each); false when one was never recorded. */
export async function unchanged(
  model: { etag?: string; files?: ModelFile[] },
  request: Request,
  signal: AbortSignal,
): Promise<boolean> {
  const files = new Map(model.files?.map((f) => [f.name, f]));
  for (const [i, source] of request.sources.entries()) {
    const etag = request.names === undefined ? model.etag : files.get(request.names[i])?.etag;
    if (etag === undefined) return false;
    const version = await probe(source.url, { headers: request.headers[i], signal });
    if (version.etag !== etag) return false;
  }
  return true;
}

/** Downloads what a request names (a multi-file model's, file by file), then commits it. */
export async function transfer<T>(
  request: Request,
  staging: Staging<T>,
  listeners: Set<Progress>,
  controller: AbortController,
): Promise<T> {
  const { sources, names, expected } = request;
  const from = (source: Source, fetched: Downloaded): Provenance => ({
    source: source.text,
    revision: source.hub?.revision,
    commit: fetched.commit,
    etag: fetched.etag,
  });
  if (names === undefined) {
    return transferFile(request, 0, 0, staging, listeners, controller, (temp, fetched) => {
      if (expected !== undefined && fetched.sha256 !== expected)
        throw new ChecksumMismatchError(`GET ${sources[0].url} (options.sha256)`, expected, fetched.sha256);
      return staging.commit(temp, fetched, from(sources[0], fetched));
    });
  }
  const dir = join(staging.tmp, tempName('part'));
  writing.add(dir);
  let committed = false;
  try {
    await makeDir(dir);
    const files: ModelFile[] = [];
    let bytes = 0;
    for (const [i, source] of sources.entries()) {
      const fetched = await transferFile(request, i, bytes, staging, listeners, controller, async (temp, got) => {
        await stageFile(dir, names[i], temp);
        return got;
      });
      files.push({
        name: names[i],
        bytes: fetched.bytes,
        sha256: fetched.sha256,
        ...provenance(from(source, fetched)),
      });
      bytes += fetched.bytes;
    }
    // The model's provenance is its first Hub file's: a model's files come from one repository and revision.
    const hub = files.find((_, i) => sources[i].hub !== undefined) ?? files[0];
    const model = await staging.commit(
      dir,
      { bytes, sha256: manifestSha256(files) },
      { revision: hub.revision, commit: hub.commit },
      files,
    );
    committed = true;
    return model;
  } finally {
    writing.delete(dir);
    if (!committed) await removeFile(dir);
  }
}

/**
 * Downloads the `i`th source of a request into a partial that a later fetch
 * can resume, and hands the finished file to `use`, which moves it away.
 * `before`: bytes of the model's files downloaded already, which count
 * towards the limit and the progress.
 */
async function transferFile<T, U>(
  request: Request,
  i: number,
  before: number,
  staging: Staging<T>,
  listeners: Set<Progress>,
  controller: AbortController,
  use: (temp: string, fetched: Downloaded) => Promise<U>,
): Promise<U> {
  const url = request.sources[i].url;
  const claim = await claimPartial(staging.tmp, partialKey(request.id, url), url);
  const temp = claim?.path ?? join(staging.tmp, tempName('download'));
  writing.add(temp);
  staging.downloads.add(controller);
  let downloaded = false;
  try {
    const fetched = await download(url, temp, {
      signal: controller.signal,
      idleTimeoutMs: request.idleTimeoutMs,
      headers: request.headers[i],
      maxBytes: staging.maxBytes() - before,
      resume: claim?.resume,
      keepPartial: claim !== undefined,
      onDurable: claim === undefined ? undefined : (partial) => recordPartial(claim.meta, url, partial),
      onProgress: (done, total) => {
        for (const listener of listeners) {
          try {
            listener(before + done, total === undefined ? undefined : before + total);
          } catch {
            // A progress callback's failure is not the download's.
          }
        }
      },
    }).catch((error: unknown) => {
      throw error instanceof DiskError ? error.forModel(request.id) : error;
    });
    downloaded = true;
    return await use(temp, fetched);
  } finally {
    writing.delete(temp);
    staging.downloads.delete(controller);
    // A failed download() keeps its file only if a later fetch can resume
    // it; a finished one is moved into the store or not wanted.
    if (downloaded) await removeFile(temp);
    if (claim !== undefined && (downloaded || !(await exists(temp)))) await removeFile(claim.meta);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
