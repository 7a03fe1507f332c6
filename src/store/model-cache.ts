// ModelCache: a durable, size-bounded on-disk store of model files.
//
// The in-memory `Cache` (createCache, on any engine) is the index: id ->
// entry, with the recency order, the byte total and the choice of victims.
// The journal (journal.ts) is the record of it on disk, folded into the index
// by fold.ts. Every change runs in a session: take the store's lock (lock.ts),
// replay what other processes appended since this one last looked, apply,
// append, release. Reads (`get`, `has`, `list`) touch only memory (`get`
// checks the file is there); the recency a hit refreshes is appended later
// (recency.ts). Recovery (recovery.ts) accounts for files the journal does
// not; each model's file has a sidecar (sidecar.ts) to rebuild its record
// from. A fetch is checked into a request (request.ts), shared by the calls
// that want it (inflight.ts) and downloaded into tmp/ (transfer.ts), then
// committed here. A store that cannot be written is opened as a reader, which
// replays the journal without the lock.
//
// On disk (docs/model-store.md):
//   <dir>/journal        the journal
//   <dir>/lock           present while a process holds the lock
//   <dir>/locks/<key>.lock  present while a process downloads the model <key> names
//   <dir>/reserve        space kept so that removals can be recorded on a full disk
//   <dir>/models/<name>  the models' files (ids.ts names them) and their sidecars
//   <dir>/quarantine/    files no record owns and that could not be re-adopted
//   <dir>/tmp/<pid>-*    files being copied or downloaded, and downloads
//                        kept to resume (partials.ts)

import { closeSync, existsSync, openSync, renameSync, statfsSync, writeSync } from 'node:fs';
import { link, lstat, realpath, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createCache } from '../cache/cache.js';
import { checkOptions, describe } from '../cache/check.js';
import type { BackendName, Cache } from '../cache/types.js';
import { waitPatiently, type Patience } from './download.js';
import { ChecksumMismatchError, ModelNotFoundError, ModelTooLargeError } from './errors.js';
import {
  copyHashing,
  fsyncDir,
  fsyncFile,
  hashFile,
  makeDir,
  removeFile,
  removeFileSync,
  type Hashed,
} from './files.js';
import { foldRecords, type ModelRecord } from './fold.js';
import { checkId, checkPath, checkSha256, fileNameFor } from './ids.js';
import { InFlight, type Progress } from './inflight.js';
import { Journal, JOURNAL_VERSION, type JournalRecord } from './journal.js';
import { tempName, writing } from './holder.js';
import { acquireLock } from './lock.js';
import { partialKey } from './partials.js';
import { RecencyLog, touchRecords } from './recency.js';
import {
  emptyQuarantine,
  matches,
  partialBytes,
  planModels,
  quarantined,
  quarantineFile,
  sizesMatch,
  sweepTemps,
  type ModelsPlan,
} from './recovery.js';
import { markRemoved, removedName, removeModelFile, writeMeta } from './sidecar.js';
import { parseSize } from './sizes.js';
import { fileRecords, hashModel, type ModelFile } from './model-files.js';
import {
  answers,
  DEFAULT_NET,
  fetchCall,
  netOptions,
  type FetchOptions,
  type Freshness,
  type Net,
  type Request,
} from './request.js';
import { transfer, unchanged, type Staging } from './transfer.js';
import { provenance, type Provenance } from './provenance.js';

export type { FetchOptions, Freshness } from './request.js';

export interface CachedModel extends Provenance {
  id: string;
  /** Absolute path of the model's file in the store; of its directory for a multi-file model. */
  path: string;
  /** Bytes of its file, or of all its files. */
  bytes: number;
  /** SHA-256 of the file's content, lower-case hex; of the manifest of its files for a multi-file model (model-files.ts). */
  sha256: string;
  /** ISO 8601. */
  addedAt: string;
  /** ISO 8601. */
  lastAccessed: string;
  /** A multi-file model's files, each at `path/<name>`; absent for a single file. */
  files?: ModelFile[];
}

export interface ModelCacheOptions {
  /** The store's directory; default `$CARO_CACHE_DIR`, else `$XDG_CACHE_HOME/caro-cache/models`, else `~/.cache/caro-cache/models`. */
  dir?: string;
  /**
   * Sets the store's limit, which the store records and keeps: later opens
   * without `maxBytes` use it. A new store without one starts with
   * `$CARO_CACHE_MAX_BYTES` (a size such as `20GiB`), else 10 GiB.
   */
  maxBytes?: number;
  /** The index's engine, as for createCache. */
  backend?: BackendName | 'auto';
  /**
   * Opens the store as a reader: no lock, no changes, the journal replayed as
   * it is. Without it, a store that cannot be written (EROFS, EACCES, EPERM,
   * ENOSPC) is opened as a reader; `false` makes that an error instead.
   */
  readOnly?: boolean;
  /** Hears what recovery found (damage, re-adopted and quarantined files); default `process.emitWarning`. */
  onWarning?: (message: string) => void;
  /** Where `hf://` sources resolve: default `$HF_ENDPOINT`, else https://huggingface.co (a mirror's URL here). */
  endpoint?: string;
  /**
   * Sent as `Authorization: Bearer` to the endpoint's host only, never across
   * a redirect to another host; default `$HF_TOKEN`, else the Hub's token file
   * (`$HF_HOME/token`, default `~/.cache/huggingface/token`).
   */
  token?: string;
  /** Request headers for other servers: sent to a source's own host only, never across a redirect to another. */
  headers?: Record<string, string>;
  /**
   * Serves everything from the store and never touches the network: a miss is
   * a ModelNotFoundError. Default: on when `$CARO_CACHE_OFFLINE` or
   * `$HF_HUB_OFFLINE` is 1 (or true, yes, on).
   */
  offline?: boolean;
  /** fetch's default freshness (see FetchOptions); default `'cache-first'`. */
  freshness?: Freshness;
}

export interface ModelCacheStats {
  dir: string;
  count: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Bytes of downloads in tmp/, in progress or kept to resume (a multi-file one's finished files too); they count against `maxBytes`. */
  partialBytes: number;
  /** Files in quarantine/: found with no record and not re-adoptable; `gc({ quarantine: true })` deletes them. */
  quarantined: number;
  /** Opened as a reader: nothing can be changed. */
  readOnly: boolean;
}

export interface VerifyResult {
  valid: string[];
  /** Content or size changed; recorded as bad, so `get` refuses them and `fetch` downloads them again. */
  corrupted: string[];
  missing: string[];
  /** The files in quarantine/. */
  quarantined: string[];
}

export interface GcResult {
  /** Models whose files were missing, now dropped from the store. */
  dropped: string[];
  /** Models re-adopted from their sidecars. */
  adopted: string[];
  /** Files moved to quarantine/ now. */
  quarantined: string[];
  /** Leftover files deleted: of removals whose unlink failed, of interrupted adds, and downloads no process is writing. */
  leftovers: number;
  /** Files deleted from quarantine/ (with `quarantine: true`). */
  deleted: number;
}

/** A change was asked of a store opened as a reader. */
export class StoreReadOnlyError extends Error {
  readonly code = 'EROFS';
  readonly dir: string;
  constructor(dir: string, what: string) {
    super(`caro-cache: the store ${dir} is open read-only; ${what} needs write access to it`);
    this.name = 'StoreReadOnlyError';
    this.dir = dir;
  }
}

export const DEFAULT_MAX_BYTES = 10 * 2 ** 30;

/** Recency refreshed by `get` is appended this long after the first unrecorded hit. */
const FLUSH_DELAY_MS = 2_000;
/** The journal is rewritten once it holds more than this many records and more than 4 per model. */
const COMPACT_MIN_RECORDS = 256;
/** The reserve: enough for the lock and a journal append of removals, on any file system. */
const RESERVE_BYTES = 64 * 1024;

const JOURNAL = 'journal';
const LOCK = 'lock';
const LOCKS = 'locks';
const MODELS = 'models';
const QUARANTINE = 'quarantine';
const RESERVE = 'reserve';
const TMP = 'tmp';
/** Errors that mean the store cannot be written, so open falls back to a reader. */
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC']);

/** The directory a store opens without `dir`. */
export function defaultDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CARO_CACHE_DIR) return resolve(env.CARO_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'caro-cache', 'models');
  return join(homedir(), '.cache', 'caro-cache', 'models');
}

/** The limit a new store starts with when `maxBytes` is not given. */
export function defaultMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  return env.CARO_CACHE_MAX_BYTES
    ? parseSize(env.CARO_CACHE_MAX_BYTES, 'the CARO_CACHE_MAX_BYTES environment variable')
    : DEFAULT_MAX_BYTES;
}

interface Entry extends ModelRecord {
  path: string;
  /** Order of this object's last unrecorded hit on it (0: none). */
  touched: number;
}

let isoMs = NaN;
let isoText = '';
/** ISO text of a time in ms; hits within one millisecond share one string. */
function iso(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

/** An add, with the ids it evicted: one checksummed line, so a torn write loses both or neither. */
function addRecord(entry: Entry, evicted: string[] = []): JournalRecord {
  const record: JournalRecord = {
    t: 'add',
    id: entry.id,
    file: entry.file,
    bytes: entry.bytes,
    sha256: entry.sha256,
    addedAt: entry.addedAt,
    at: entry.accessed,
    ...provenance(entry),
  };
  if (entry.files !== undefined) record.files = fileRecords(entry.files);
  if (evicted.length > 0) record.evicted = evicted;
  return record;
}

const rmRecord = (id: string, why: 'remove' | 'evict' | 'gone'): JournalRecord => ({ t: 'rm', id, why });

const limitRecord = (maxBytes: number): JournalRecord => ({ t: 'limit', maxBytes });

const badRecord = (entry: Entry): JournalRecord => ({ t: 'bad', id: entry.id, file: entry.file });

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export class ModelCache {
  readonly #dir: string;
  readonly #models: string;
  readonly #tmp: string;
  readonly #quarantine: string;
  readonly #lockPath: string;
  readonly #locks: string;
  readonly #reserve: string;
  /** How fetch reaches the network (open's options, else the environment). */
  #net: Net = DEFAULT_NET;
  readonly #backend: BackendName | 'auto' | undefined;
  readonly #warn: (message: string) => void;
  /** The limit `open` was asked to set, if any. */
  readonly #requestedMaxBytes: number | undefined;
  /** The store's limit as last recorded in the journal (no limit until the first replay reads one). */
  #maxBytes = Infinity;
  #limitRecorded = false;
  #readOnly = false;
  #index: Cache<Entry>;
  #journal: Journal;
  readonly #recency: RecencyLog<Entry>;
  /** The tail of this object's chain of sessions: one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Where the index's onEvict puts victims during a session. */
  #victims: Entry[] = [];
  /** The index may differ from the journal (an append failed): reload it at the next session. */
  #stale = false;
  readonly #inflight = new InFlight<CachedModel>();
  readonly #downloads = new Set<AbortController>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  private constructor(
    dir: string,
    maxBytes: number | undefined,
    backend: BackendName | 'auto' | undefined,
    warn: (message: string) => void,
  ) {
    this.#dir = dir;
    this.#models = join(dir, MODELS);
    this.#tmp = join(dir, TMP);
    this.#quarantine = join(dir, QUARANTINE);
    this.#lockPath = join(dir, LOCK);
    this.#locks = join(dir, LOCKS);
    this.#reserve = join(dir, RESERVE);
    this.#requestedMaxBytes = maxBytes;
    this.#backend = backend;
    this.#warn = warn;
    this.#journal = new Journal(join(dir, JOURNAL));
    this.#index = this.#createIndex();
    this.#recency = new RecencyLog<Entry>(FLUSH_DELAY_MS, () => {
      if (!this.#closed) this.#session(async () => {}).catch(() => {});
    });
  }

  #createIndex(): Cache<Entry> {
    return createCache<Entry>({
      maxBytes: this.#maxBytes,
      backend: this.#backend,
      onEvict: (_id, entry) => {
        entry.touched = 0;
        this.#victims.push(entry);
      },
    });
  }

  /**
   * Opens (creating if need be) the store in `dir` and recovers it: the
   * journal is replayed (a torn tail ignored), temporary files of
   * interrupted adds and downloads are removed, and files no record owns are
   * re-adopted from their sidecars or quarantined, never deleted. With
   * `maxBytes`, that becomes the store's recorded limit and least recently
   * used models are evicted until the store fits it; without, the recorded
   * limit holds. A store that cannot be written opens as a reader.
   */
  static async open(options?: ModelCacheOptions): Promise<ModelCache> {
    const o = checkOptions(options);
    let dir: string;
    if (o.dir === undefined) dir = defaultDir();
    else {
      checkPath(o.dir, 'options.dir');
      dir = resolve(o.dir);
    }
    let maxBytes: number | undefined;
    if (o.maxBytes !== undefined) {
      if (typeof o.maxBytes !== 'number')
        throw new TypeError(`options.maxBytes must be a number, got ${describe(o.maxBytes)}`);
      if (!Number.isSafeInteger(o.maxBytes) || o.maxBytes < 0) {
        throw new RangeError(
          `options.maxBytes must be a non-negative integer no larger than 2^53-1, got ${o.maxBytes}`,
        );
      }
      maxBytes = o.maxBytes;
    }
    if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean')
      throw new TypeError(`options.readOnly must be a boolean, got ${describe(o.readOnly)}`);
    if (o.onWarning !== undefined && typeof o.onWarning !== 'function')
      throw new TypeError(`options.onWarning must be a function, got ${describe(o.onWarning)}`);
    const onWarning = o.onWarning as ((message: string) => void) | undefined;
    const warn = (message: string) => {
      try {
        if (onWarning === undefined) process.emitWarning(message, 'CaroCacheWarning');
        else onWarning(message);
      } catch {
        // A listener's failure is not the store's.
      }
    };
    const backend = o.backend as BackendName | 'auto' | undefined;
    const net = netOptions(o);
    let store = new ModelCache(dir, maxBytes, backend, warn);
    store.#net = net;
    try {
      if (o.readOnly !== true) {
        try {
          await makeDir(store.#models);
          await makeDir(store.#tmp);
          store.#freeReserveIfLow();
          await store.#session(() => store.#recover(false, false));
          store.#keepReserve();
          return store;
        } catch (error) {
          if (o.readOnly === false || !UNWRITABLE.has(code(error) ?? '')) throw error;
          store.#closed = true;
          store.#index.close();
          store = new ModelCache(dir, maxBytes, backend, warn);
          store.#net = net;
          warn(`${dir} cannot be written (${code(error)}); opened read-only`);
        }
      }
      store.#readOnly = true;
      await store.#read(true);
      return store;
    } catch (error) {
      store.#closed = true;
      store.#index.close();
      throw error;
    }
  }

  /**
   * The model, as the most recently used one, or undefined if the store does
   * not have it, its file is gone, or `verify` found it corrupt. No disk I/O
   * beyond a check that the file is there.
   */
  get(id: string): CachedModel | undefined {
    this.#check();
    checkId(id);
    const entry = this.#index.peek(id);
    if (entry === undefined || !this.#servable(entry)) {
      this.#misses++;
      return undefined;
    }
    this.#index.get(id);
    this.#hits++;
    return this.#used(entry);
  }

  /** Whether the model is in the store, as this process last saw it; changes no recency. */
  has(id: string): boolean {
    this.#check();
    checkId(id);
    return this.#index.has(id);
  }

  /** Every model, from the most to the least recently used. */
  list(): CachedModel[] {
    this.#check();
    return Array.from(this.#index.entries(), ([, entry]) => this.#model(entry));
  }

  /**
   * Copies `source` into the store (with `move`, moves it: the source is
   * removed once the model is recorded) while hashing it, records it as the
   * most recently used model, and evicts least recently used models until it
   * fits. When this resolves the file and its record are on the disk.
   */
  async add(id: string, source: string, options?: { sha256?: string; move?: boolean }): Promise<CachedModel> {
    this.#check();
    checkId(id);
    checkPath(source, 'source');
    const o = checkOptions(options);
    const expected = checkSha256(o.sha256, 'options.sha256');
    if (o.move !== undefined && typeof o.move !== 'boolean')
      throw new TypeError(`options.move must be a boolean, got ${describe(o.move)}`);
    const move = o.move === true;
    const from = resolve(source);
    this.#writable('add');
    // Registered before the first await, so a remove or clear called next waits for it.
    return this.#inflight.adding(
      id,
      this.#track(async () => {
        let info;
        let real;
        try {
          info = await stat(from);
          real = await realpath(from);
        } catch (error) {
          throw new Error(`source ${source} cannot be read: ${(error as Error).message}`, { cause: error });
        }
        // Moving the journal or a model's file would lose what the store holds.
        if (move && isInside(await realpath(this.#dir), real)) {
          throw new RangeError(`source ${source} is a file of the store itself and cannot be moved into it`);
        }
        if (!info.isFile()) throw new TypeError(`source must be a regular file, ${source} is not`);
        this.#checkFits(info.size, `source ${source}`);
        const temp = this.#tempPath('part');
        writing.add(temp);
        let committed = false;
        try {
          let hashed: Hashed;
          let linked = false;
          // A hard link stages a move without copying (the source stays until
          // the model is recorded); a symbolic link's target is copied instead.
          if (move && !(await lstat(from)).isSymbolicLink()) {
            try {
              await link(from, temp);
              linked = true;
            } catch (error) {
              if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(code(error) ?? '')) throw error;
            }
          }
          if (linked) {
            hashed = await hashFile(temp);
            await fsyncFile(temp);
          } else {
            hashed = await copyHashing(from, temp);
          }
          if (expected !== undefined && hashed.sha256 !== expected)
            throw new ChecksumMismatchError(`options.sha256 does not match ${source}`, expected, hashed.sha256);
          this.#checkFits(hashed.bytes, `source ${source}`);
          const model = await this.#commit(id, temp, hashed);
          committed = true;
          if (move && from !== model.path) {
            try {
              await unlink(from);
            } catch (error) {
              if (code(error) !== 'ENOENT')
                throw new Error(
                  `added ${JSON.stringify(id)}, but could not remove the source ${source}: ${(error as Error).message}`,
                  { cause: error },
                );
            }
          }
          return model;
        } finally {
          writing.delete(temp);
          if (!committed) await removeFile(temp);
        }
      }),
    );
  }

  /**
   * Get-or-download: a hit (with the given `sha256`, if any, and the revision
   * asked for) resolves at once; a miss (or a model whose file is gone or was
   * found corrupt) downloads `url` into a temporary file, resuming with Range
   * requests after an interrupted transfer, verifies it and adds it. `url` is
   * an http(s) URL or `hf://<owner>/<repo>/<file>[@<revision>]` (hub.ts). A
   * list of them is a multi-file model: its files are downloaded one after
   * another into one directory, the model's `path`, named by their paths in
   * the repository (or the last part of each URL), and are added, sized,
   * evicted and verified together; a model the store has with another set of
   * files is downloaded again. A model pinned to a commit is served without
   * a request; one of a branch follows `freshness`. Offline, a miss is a ModelNotFoundError. One
   * download per id: concurrent calls share it, and other processes and
   * ModelCache objects on this directory wait for it (the per-id lock in
   * locks/) and are served its file. A call given up (its `signal`, its
   * `deadlineMs`) rejects at once; the download stops when no call waits for
   * it any more, keeping its bytes for the next fetch.
   */
  async fetch(id: string, url: string | readonly string[], options?: FetchOptions): Promise<CachedModel> {
    this.#check();
    checkId(id);
    const { request, onProgress, patience } = fetchCall(id, url, options, this.#net);
    patience.signal?.throwIfAborted();
    const present = this.#index.peek(id);
    if (present !== undefined && this.#servable(present, request) && !request.revalidate) return this.get(id)!;
    if (this.#net.offline) {
      this.#misses++;
      throw new ModelNotFoundError(
        id,
        this.#dir,
        `offline mode is on ($CARO_CACHE_OFFLINE, $HF_HUB_OFFLINE or the offline option), so ${request.sources.map((source) => JSON.stringify(source.text)).join(', ')} ${request.sources.length === 1 ? 'is' : 'are'} not downloaded`,
      );
    }
    this.#misses++;
    this.#writable('fetch');
    // Registered before the first await, so a remove or clear called next waits for it.
    return this.#inflight.adding(
      id,
      this.#track(() => this.#getOrDownload(request, onProgress, patience)),
    );
  }

  /**
   * The miss path of fetch: joins a download of `id` that expects the same
   * content, or starts one. A download that expects other content may fail
   * where this one would not, or bring what this one wants: it is awaited,
   * then the store is looked at again.
   */
  async #getOrDownload(request: Request, onProgress: Progress | undefined, patience: Patience): Promise<CachedModel> {
    const { id, expected } = request;
    const url = request.sources[0].url;
    for (;;) {
      let shared = this.#inflight.download(id);
      if (shared === undefined) {
        const present = this.#index.peek(id);
        if (present !== undefined && !request.revalidate && this.#servable(present, request))
          return this.#used(this.#index.get(id)!);
        shared = this.#inflight.share(id, expected, (listeners, controller) =>
          this.#closed
            ? Promise.reject(new Error('caro-cache: the model cache is closed'))
            : this.#download(request, listeners, controller),
        );
      }
      if (shared.expected === expected) {
        const leave = this.#inflight.join(id, shared, onProgress);
        return { ...(await waitPatiently(shared.promise, url, patience, leave)) };
      }
      // Its failure is not this call's; giving up is.
      await waitPatiently(
        shared.promise.catch(() => {}),
        url,
        patience,
        () => {},
      );
      this.#check();
    }
  }

  /**
   * Removes the model and its file; false if it was not there. Once the
   * removal is recorded it resolves true, even if the file could not be
   * deleted: gc deletes it later.
   */
  async remove(id: string): Promise<boolean> {
    this.#check();
    checkId(id);
    this.#writable('remove');
    const before = this.#inflight.addsBefore(id);
    return this.#track(async () => {
      await Promise.allSettled(before);
      return this.#session(async () => {
        const entry = this.#index.peek(id);
        if (entry === undefined) return false;
        // Marked first: a file that has lost its sidecar is the leftover of a removal, not a model.
        markRemoved(this.#models, entry.file);
        await this.#append([rmRecord(id, 'remove')], true, true);
        this.#index.delete(id);
        entry.touched = 0;
        await this.#removeFiles([entry.file]);
        this.#keepReserve();
        return true;
      }, true);
    });
  }

  /**
   * Hashes every model's file: `valid`, `corrupted` (content or size changed)
   * or `missing`, and lists the files in quarantine/. Corrupted files are
   * recorded as bad: `get` refuses them and `fetch` downloads them again.
   * Hashing runs without the lock, so other processes are not held up, and
   * what changed under it meanwhile is checked again.
   */
  async verify(): Promise<VerifyResult> {
    this.#check();
    return this.#track(async () => {
      const result: VerifyResult = { valid: [], corrupted: [], missing: [], quarantined: [] };
      const check = async (entry: Entry): Promise<'valid' | 'corrupted' | 'missing'> => {
        try {
          const { bytes, sha256 } = await hashModel(entry.path, entry.files);
          return bytes === entry.bytes && sha256 === entry.sha256 ? 'valid' : 'corrupted';
        } catch (error) {
          if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return 'missing';
          throw error;
        }
      };
      const doubtful: [Entry, 'corrupted' | 'missing'][] = [];
      for (const [id, entry] of this.#index.entries()) {
        const verdict = await check(entry);
        if (verdict === 'valid') result.valid.push(id);
        else doubtful.push([entry, verdict]);
      }
      if (doubtful.length > 0) {
        // Another process may have removed or replaced these meanwhile.
        const recheck = async () => {
          const bad: Entry[] = [];
          for (const [entry, verdict] of doubtful) {
            const now = this.#index.peek(entry.id);
            if (now === undefined) continue;
            const final = now === entry ? verdict : await check(now);
            result[final].push(entry.id);
            if (final === 'corrupted' && !now.bad) bad.push(now);
          }
          if (!this.#readOnly && bad.length > 0) await this.#append(bad.map(badRecord), true);
          for (const entry of bad) entry.bad = true;
        };
        if (this.#readOnly) {
          await this.#read();
          await recheck();
        } else await this.#session(recheck);
      }
      result.quarantined = quarantined(this.#quarantine);
      return result;
    });
  }

  stats(): ModelCacheStats {
    this.#check();
    return {
      dir: this.#dir,
      count: this.#index.size,
      bytes: this.#index.bytes,
      maxBytes: this.#maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      partialBytes: partialBytes(this.#tmp),
      quarantined: quarantined(this.#quarantine).length,
      readOnly: this.#readOnly,
    };
  }

  /**
   * Collects what the store no longer needs: files of removals whose unlink
   * failed, temporary files and downloads no live process is writing, and
   * models whose files are missing (dropped). Files no record owns are
   * re-adopted or quarantined, as at open; with `quarantine`, quarantine/ is
   * emptied. Works on a full disk.
   */
  async gc(options?: { quarantine?: boolean }): Promise<GcResult> {
    this.#check();
    const o = checkOptions(options);
    if (o.quarantine !== undefined && typeof o.quarantine !== 'boolean')
      throw new TypeError(`options.quarantine must be a boolean, got ${describe(o.quarantine)}`);
    this.#writable('gc');
    const result = await this.#track(() => this.#session(() => this.#recover(true, o.quarantine === true), true));
    this.#keepReserve();
    return result;
  }

  /** Removes every model and its file. */
  async clear(): Promise<void> {
    this.#check();
    this.#writable('clear');
    const before = this.#inflight.addsBefore();
    await this.#track(async () => {
      await Promise.allSettled(before);
      await this.#session(async () => {
        const files = [...this.#index.entries()].map(([, entry]) => entry.file);
        for (const file of files) markRemoved(this.#models, file);
        try {
          await this.#journal.rewrite([limitRecord(this.#maxBytes)]);
        } catch (error) {
          this.#stale = true;
          throw error;
        }
        this.#index.clear();
        this.#recency.forget();
        await this.#removeFiles(files);
      }, true);
    });
    this.#keepReserve();
  }

  /**
   * Cancels downloads in progress, waits for adds and removals in progress,
   * appends the pending recency and frees the index. Later calls throw; a
   * second close does nothing.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const controller of this.#downloads) controller.abort(new Error('the model cache was closed'));
      await this.#inflight.settled();
      this.#recency.stop();
      try {
        if (this.#recency.pending && !this.#readOnly) await this.#session(async () => {}, false, true);
      } finally {
        await this.#queue;
        this.#index.close();
      }
    })();
    return this.#closing;
  }

  /** Whether an entry can be handed out: not found corrupt, its file there and, for a fetch, what the request asks for. */
  #servable(entry: Entry, request?: Request): boolean {
    if (entry.bad || !existsSync(entry.path)) return false;
    return request === undefined || answers(entry, request);
  }

  /** Notes a use of an entry the index has just made most recent; it is appended later. */
  #used(entry: Entry): CachedModel {
    if (this.#readOnly) entry.accessed = Date.now();
    else this.#recency.hit(entry, Date.now());
    return this.#model(entry);
  }

  #check(): void {
    if (this.#closed) throw new Error('caro-cache: the model cache is closed');
  }

  #writable(what: string): void {
    if (this.#readOnly) throw new StoreReadOnlyError(this.#dir, what);
  }

  #checkFits(bytes: number, what: string): void {
    if (bytes > this.#maxBytes) throw new ModelTooLargeError(what, bytes, this.#maxBytes);
  }

  #model(entry: Entry): CachedModel {
    return {
      id: entry.id,
      path: entry.path,
      bytes: entry.bytes,
      sha256: entry.sha256,
      addedAt: entry.addedAt,
      lastAccessed: iso(entry.accessed),
      ...provenance(entry),
      ...(entry.files === undefined ? {} : { files: entry.files.map((f) => ({ ...f })) }),
    };
  }

  #tempPath(kind: 'part' | 'download'): string {
    return join(this.#tmp, tempName(kind));
  }

  #track<T>(work: () => Promise<T>): Promise<T> {
    return this.#inflight.track(
      this.#closed ? Promise.reject(new Error('caro-cache: the model cache is closed')) : work(),
    );
  }

  /**
   * Runs `work` under the store's lock, after replaying the journal, then
   * compacts the journal if it has grown. Sessions of one object run one at
   * a time. `urgent`: the session frees space (a removal), so it may use the
   * reserve on a full disk; `syncTouches` flushes recency-only appends too (for close).
   */
  #session<T>(work: () => Promise<T>, urgent = false, syncTouches = false): Promise<T> {
    const run = this.#queue.then(async () => {
      if (urgent) this.#freeReserveIfLow();
      const release = await acquireLock(this.#lockPath);
      try {
        await this.#replay(syncTouches);
        const result = await work();
        await this.#maybeCompact();
        return result;
      } finally {
        await release();
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Appends records; on failure the index is reloaded from the journal at the
   * next session. `urgent`: records of removals, which may use the reserve.
   */
  async #append(records: JournalRecord[], sync: boolean, urgent = false): Promise<void> {
    try {
      try {
        await this.#journal.append(records, sync);
      } catch (error) {
        if (!urgent || code(error) !== 'ENOSPC' || !existsSync(this.#reserve)) throw error;
        await removeFile(this.#reserve);
        await this.#journal.append(records, sync);
      }
    } catch (error) {
      this.#stale = true;
      throw error;
    }
  }

  /** Frees the reserve when the disk is (nearly) full, so that the lock and a removal's record fit. */
  #freeReserveIfLow(): void {
    try {
      const { bavail, bsize } = statfsSync(this.#dir);
      if (bavail * bsize < RESERVE_BYTES) removeFileSync(this.#reserve);
    } catch {
      // No statfs here: the reserve is freed if an append fails instead.
    }
  }

  /** Creates the reserve if it is missing and the disk has room to spare; never fails. */
  #keepReserve(): void {
    if (this.#readOnly || existsSync(this.#reserve)) return;
    try {
      const { bavail, bsize } = statfsSync(this.#dir);
      if (bavail * bsize < 2 * RESERVE_BYTES) return;
    } catch {
      // No statfs here: try anyway.
    }
    const temp = `${this.#reserve}.${process.pid}.tmp`;
    try {
      const fd = openSync(temp, 'w');
      try {
        writeSync(fd, Buffer.alloc(RESERVE_BYTES));
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.#reserve);
    } catch {
      removeFileSync(temp);
    }
  }

  /** Deletes the files of models whose removal is recorded; one that cannot be deleted stays marked for gc. */
  async #removeFiles(files: string[]): Promise<void> {
    for (const file of files) {
      try {
        await removeModelFile(this.#models, file);
      } catch {
        // Marked removed: the next gc deletes it.
      }
    }
  }

  /** A reader's replay: the journal as it is, without the lock; nothing is evicted, repaired or recorded. */
  /** A reader's replay of the whole journal; `report`: warn of what it found (open does, verify's re-read not). */
  async #read(report = false): Promise<void> {
    const read = await this.#journal.read(true);
    if (report) this.#reportDamage(read.skipped, read.truncated);
    this.#apply(read.records, read.reset);
    this.#victims = [];
    this.#listFromSidecars(report);
  }

  /** The entry of a model rebuilt from its sidecar: last used when it was added. */
  #fromSidecar(candidate: Omit<ModelRecord, 'accessed' | 'bad'>): Entry {
    const accessed = Date.parse(candidate.addedAt);
    return { ...candidate, path: join(this.#models, candidate.file), accessed, bad: false, touched: 0 };
  }

  /**
   * A reader's view of the models no record owns (its journal lost or
   * damaged): those whose sidecar is whole and whose file has the size it
   * says are listed, in the order they were added, as a writer would
   * re-adopt them; nothing is recorded or moved. The next writer's open
   * re-adopts them for good, re-hashed.
   */
  #listFromSidecars(report: boolean): void {
    const owners = new Set([...this.#index.entries()].map(([, entry]) => entry.file));
    let plan: ModelsPlan;
    try {
      plan = planModels(this.#models, owners);
    } catch {
      return; // No models/ yet.
    }
    const listed: string[] = [];
    for (const candidate of plan.candidates.sort((a, b) => a.addedAt.localeCompare(b.addedAt))) {
      const owner = this.#index.peek(candidate.id);
      if (owner !== undefined && plan.present.has(owner.file)) continue;
      if (this.#index.bytes + candidate.bytes > this.#maxBytes || !sizesMatch(this.#models, candidate)) continue;
      const entry = this.#fromSidecar(candidate);
      this.#index.delete(entry.id);
      this.#index.set(entry.id, entry, entry.bytes);
      listed.push(entry.id);
    }
    if (report && listed.length > 0) {
      this.#warn(
        `${plural(listed.length, 'model')} in ${this.#dir} ha${listed.length === 1 ? 's' : 've'} no journal record; read-only, listed from ${listed.length === 1 ? 'its sidecar' : 'their sidecars'} (${listed.map((id) => JSON.stringify(id)).join(', ')}): a writer's open re-adopts them`,
      );
    }
  }

  #reportDamage(skipped: number, truncated: number): void {
    if (skipped > 0 || truncated > 0) {
      this.#warn(
        `the journal of ${this.#dir} is damaged: ${plural(skipped, 'damaged record')} skipped, ${plural(truncated, 'byte')} of torn or damaged tail ${this.#readOnly ? 'ignored' : 'cut off'}; no model file is deleted for it`,
      );
    }
  }

  /**
   * Brings the index up to date with the journal, then re-applies and
   * appends this process's pending hits, so the journal's order and the
   * index's agree. Models evicted because they do not fit this object's
   * `maxBytes` are recorded and their files deleted.
   */
  async #replay(syncTouches: boolean): Promise<void> {
    if (this.#stale) {
      this.#journal = new Journal(this.#journal.path);
      this.#stale = false;
    }
    const read = await this.#journal.read();
    this.#reportDamage(read.skipped, read.truncated);
    this.#victims = [];
    this.#apply(read.records, read.reset);
    // A victim of an earlier record may be back by a later one: only what is
    // gone at the end is recorded, and only files no model owns are deleted.
    const victims = this.#victims.filter((v) => !this.#index.has(v.id));
    const doomed = this.#victims.filter((v) => this.#index.peek(v.id)?.file !== v.file).map((v) => v.file);
    this.#victims = [];
    const records: JournalRecord[] = [...new Set(victims.map((v) => v.id))].map((id) => rmRecord(id, 'evict'));
    if (this.#recency.pending) {
      const ids: string[] = [];
      const at: number[] = [];
      for (const hit of this.#recency.take()) {
        // After a full reload the index holds new objects for the same models.
        const entry = this.#index.peek(hit.id);
        if (entry === undefined || entry.file !== hit.file) continue;
        this.#index.get(hit.id);
        entry.accessed = Math.max(entry.accessed, hit.accessed);
        ids.push(hit.id);
        at.push(entry.accessed);
      }
      records.push(...touchRecords(ids, at));
    }
    for (const file of doomed) markRemoved(this.#models, file);
    await this.#append(records, syncTouches || victims.length > 0);
    this.#evictions += victims.length;
    await this.#removeFiles(doomed);
  }

  /**
   * Applies journal records to the index (fold.ts folds them): removals
   * first, then the rest least recent first.
   */
  #apply(records: JournalRecord[], reset: boolean): void {
    const folded = foldRecords(records, reset, (id) => this.#index.peek(id));
    if (folded.cleared) this.#index.clear();
    for (const [id, m] of folded.mentions) if (m.kind === 'rm') this.#index.delete(id);
    if (folded.limit !== undefined) {
      this.#limitRecorded = true;
      if (folded.limit !== this.#maxBytes) this.#resize(folded.limit);
    }
    for (const [id, m] of folded.mentions) {
      if (m.kind === 'add') {
        const entry: Entry = { ...m.model, path: join(this.#models, m.model.file), touched: 0 };
        if (entry.bytes > this.#maxBytes && !this.#readOnly) {
          // Larger than this object's limit: it goes, as any model that does not fit.
          this.#index.delete(id);
          this.#victims.push(entry);
        } else {
          this.#index.set(id, entry, entry.bytes);
        }
      } else if (m.kind === 'touch') {
        const entry = this.#index.get(id);
        if (entry !== undefined) entry.accessed = m.at;
      }
    }
    for (const [id, file] of folded.bad) {
      const entry = this.#index.peek(id);
      if (entry?.file === file) entry.bad = true;
    }
  }

  /**
   * Gives the store a new limit. A writer's index is rebuilt, least recently
   * used model first, so what no longer fits goes to the victims; a reader
   * evicts nothing (it could not delete the files) and only reports the limit.
   */
  #resize(maxBytes: number): void {
    this.#maxBytes = maxBytes;
    if (this.#readOnly) return;
    const entries = [...this.#index.entries()].reverse();
    this.#index.close();
    this.#index = this.#createIndex();
    for (const [id, entry] of entries) {
      if (entry.bytes > maxBytes) {
        entry.touched = 0;
        this.#victims.push(entry);
      } else {
        this.#index.set(id, entry, entry.bytes);
      }
    }
  }

  /** Evicts least recently used models other than `keep` until they and the downloads in tmp/ fit the limit. */
  #makeRoomForPartials(keep: string): void {
    const partials = partialBytes(this.#tmp);
    if (partials === 0 || this.#index.bytes + partials <= this.#maxBytes) return;
    for (const [id, entry] of [...this.#index.entries()].reverse()) {
      if (this.#index.bytes + partials <= this.#maxBytes) break;
      if (id === keep) continue;
      this.#index.delete(id);
      entry.touched = 0;
      this.#victims.push(entry);
    }
  }

  /**
   * Places a staged file (a temporary file in tmp/, or a multi-file model's
   * directory there, with its `files`) as the model `id`, evicting what must
   * go. Under the lock.
   */
  #commit(id: string, temp: string, hashed: Hashed, from: Provenance = {}, files?: ModelFile[]): Promise<CachedModel> {
    return this.#session(async () => {
      // Another process may have lowered the limit since the caller checked.
      this.#checkFits(hashed.bytes, `the model ${JSON.stringify(id)}`);
      const file = fileNameFor(id, hashed.sha256);
      const path = join(this.#models, file);
      const previous = this.#index.peek(id);
      const now = Date.now();
      const entry: Entry = {
        id,
        file,
        path,
        bytes: hashed.bytes,
        sha256: hashed.sha256,
        addedAt: iso(now),
        accessed: now,
        bad: false,
        touched: 0,
        ...provenance(from),
      };
      if (files !== undefined) entry.files = files;
      // The sidecar goes first: every model's file in models/ has one.
      await removeFile(join(this.#models, removedName(file)));
      await writeMeta(this.#models, entry);
      // A rename replaces a file, but fails on a directory that holds files:
      // a copy of the same content there (one found corrupt) is moved aside
      // first, and deleted once replaced, as a file would be.
      const aside = files !== undefined && existsSync(path) ? this.#tempPath('part') : undefined;
      if (aside !== undefined) renameSync(path, aside);
      renameSync(temp, path);
      if (aside !== undefined) await removeFile(aside);
      if (previous !== undefined) previous.touched = 0;
      this.#victims = [];
      this.#index.set(id, entry, hashed.bytes);
      this.#makeRoomForPartials(id);
      const victims = this.#victims;
      this.#victims = [];
      const doomed = victims.map((v) => v.file);
      if (previous !== undefined && previous.file !== file) doomed.push(previous.file);
      // The rename and the removal marks are flushed before the record: a
      // record on the disk always has its file there, and the evictions and
      // the add it records happen together or not at all.
      try {
        for (const victim of doomed) markRemoved(this.#models, victim);
        await fsyncDir(this.#models);
        await this.#append(
          [
            addRecord(
              entry,
              victims.map((v) => v.id),
            ),
          ],
          true,
        );
      } catch (error) {
        // Nothing of the add stays in memory. On the disk, the record may
        // have landed: the file stays, marked, and is the model's after the
        // reload or a leftover at the next open or gc.
        this.#stale = true;
        this.#index.delete(id);
        for (const model of [previous, ...victims])
          if (model !== undefined) this.#index.set(model.id, model, model.bytes);
        this.#victims = [];
        if (previous?.file !== file) {
          try {
            markRemoved(this.#models, file);
          } catch {
            // Its sidecar stays: the next open re-adopts it.
          }
        }
        throw error;
      }
      this.#evictions += victims.length;
      await this.#removeFiles(doomed);
      return this.#model(entry);
    });
  }

  /**
   * Downloads a model for the calls sharing it, one process and one object
   * at a time per id: under the id's download lock, which a process that
   * dies loses to the next taker, who resumes its partial.
   */
  async #download(request: Request, listeners: Set<Progress>, controller: AbortController): Promise<CachedModel> {
    const { id } = request;
    const servable = (entry: Entry | undefined): entry is Entry =>
      entry !== undefined && this.#servable(entry, request);
    // Another process may have added it meanwhile.
    const found = await this.#session(async () => this.#index.peek(id));
    if (servable(found) && (!request.revalidate || (await unchanged(found, request, controller.signal))))
      return this.#serve(found);
    this.#check();
    await makeDir(this.#locks);
    const release = await acquireLock(join(this.#locks, `${partialKey(id, '')}.lock`), {
      timeoutMs: Infinity,
      signal: controller.signal,
    });
    try {
      // What the holder before us downloaded, unless it is the copy being replaced.
      const now = await this.#session(async () => this.#index.peek(id));
      if (servable(now) && !(request.revalidate && now.file === found?.file && now.etag === found?.etag))
        return this.#serve(now);
      this.#check();
      return await transfer(request, this.#staging(request.id), listeners, controller);
    } finally {
      await release();
    }
  }

  /** A model found in the store by a download that then had nothing to do. */
  #serve(entry: Entry): CachedModel {
    if (this.#closed) return this.#model(entry);
    this.#index.get(entry.id);
    return this.#used(entry);
  }

  /** What a transfer of `id` needs of this store. */
  #staging(id: string): Staging<CachedModel> {
    return {
      tmp: this.#tmp,
      maxBytes: () => this.#maxBytes,
      downloads: this.#downloads,
      commit: (temp, hashed, from, files) => this.#commit(id, temp, hashed, from, files),
    };
  }

  /**
   * Accounts for what the journal does not, under the lock after the replay:
   * at open (`gc` false) and for gc. Removes temporary files no live process
   * is writing (gc: also downloads kept to resume) and files marked removed;
   * re-adopts files no record owns whose content matches their sidecar, and
   * quarantines the rest; writes missing sidecars. Keeps models whose files
   * vanished, for verify to report (gc drops them). Sets the limit: the one
   * asked for, else the recorded one, else (a new store, or its limit record
   * lost) the default, but never less than the models already hold.
   */
  async #recover(gc: boolean, emptyQ: boolean): Promise<GcResult> {
    const result: GcResult = { dropped: [], adopted: [], quarantined: [], leftovers: 0, deleted: 0 };
    result.leftovers += await sweepTemps(this.#dir, this.#tmp, JOURNAL, gc);
    const owners = new Map<string, Entry>();
    for (const [, entry] of this.#index.entries()) owners.set(entry.file, entry);
    const plan = planModels(this.#models, new Set(owners.keys()));
    for (const file of plan.leftovers) {
      try {
        await removeModelFile(this.#models, file);
        result.leftovers++;
      } catch {
        // Still marked: the next gc tries again.
      }
    }
    for (const name of plan.strays) await removeFile(join(this.#models, name));
    for (const file of plan.repairs) {
      const owner = owners.get(file)!;
      await writeMeta(this.#models, owner);
      await removeFile(join(this.#models, removedName(file)));
    }
    const orphans = [...plan.orphans];
    const adoptable: Entry[] = [];
    for (const candidate of plan.candidates.sort((a, b) => a.addedAt.localeCompare(b.addedAt))) {
      const owner = this.#index.peek(candidate.id);
      // Another file holds this id: which one is the model is not for recovery to guess.
      if ((owner !== undefined && plan.present.has(owner.file)) || !(await matches(this.#models, candidate))) {
        orphans.push(candidate.file);
        continue;
      }
      adoptable.push(this.#fromSidecar(candidate));
    }
    const records: JournalRecord[] = [];
    const missing = [...this.#index.entries()].filter(([, e]) => !plan.present.has(e.file)).map(([id]) => id);
    if (gc) {
      for (const id of missing) this.#index.delete(id);
      records.push(...missing.map((id) => rmRecord(id, 'gone')));
      result.dropped = missing;
    } else if (missing.length > 0) {
      const shown = missing.slice(0, 5).map((id) => JSON.stringify(id));
      this.#warn(
        `${plural(missing.length, 'model')} in ${this.#dir} ha${missing.length === 1 ? 's' : 've'} lost ${missing.length === 1 ? 'its file' : 'their files'} (${shown.join(', ')}${missing.length > 5 ? ', ...' : ''}); verify lists them, gc drops them`,
      );
    }
    // The limit changes only when asked; a lost limit record never shrinks it.
    const held = this.#index.bytes + adoptable.reduce((sum, e) => sum + e.bytes, 0);
    const limit = this.#requestedMaxBytes ?? (this.#limitRecorded ? this.#maxBytes : Math.max(defaultMaxBytes(), held));
    let victims: Entry[] = [];
    if (!this.#limitRecorded || limit !== this.#maxBytes) {
      this.#victims = [];
      this.#resize(limit);
      victims = this.#victims;
      this.#victims = [];
      records.push(limitRecord(limit), ...victims.map((v) => rmRecord(v.id, 'evict')));
      this.#limitRecorded = true;
    }
    for (const entry of adoptable) {
      // Adopting never evicts: what does not fit waits in quarantine.
      if (this.#index.bytes + entry.bytes > this.#maxBytes) {
        orphans.push(entry.file);
        continue;
      }
      this.#index.delete(entry.id);
      this.#index.set(entry.id, entry, entry.bytes);
      records.push(addRecord(entry));
      result.adopted.push(entry.id);
    }
    for (const file of orphans) result.quarantined.push(await quarantineFile(this.#models, this.#quarantine, file));
    if (emptyQ) result.deleted = await emptyQuarantine(this.#quarantine);
    for (const victim of victims) markRemoved(this.#models, victim.file);
    await this.#append(records, true, gc);
    this.#evictions += victims.length;
    await this.#removeFiles(victims.map((v) => v.file));
    if (result.adopted.length > 0) {
      this.#warn(
        `re-adopted ${plural(result.adopted.length, 'model')} in ${this.#dir} that no journal record owned, from ${result.adopted.length === 1 ? 'its sidecar' : 'their sidecars'}: ${result.adopted.map((id) => JSON.stringify(id)).join(', ')}`,
      );
    }
    if (result.quarantined.length > 0) {
      this.#warn(
        `moved ${plural(result.quarantined.length, 'file')} that no record owns and that could not be re-adopted to ${this.#quarantine}; gc --quarantine deletes them`,
      );
    }
    // An older format's reader would drop records it does not know when it compacts.
    if (this.#journal.version < JOURNAL_VERSION) await this.#compact();
    return result;
  }

  /** Compacts the journal once it has grown. Under the lock. */
  async #maybeCompact(): Promise<void> {
    const records = this.#journal.records;
    if (records <= COMPACT_MIN_RECORDS || records <= 4 * (this.#index.size + 1)) return;
    try {
      await this.#compact();
    } catch (error) {
      // The old journal is intact; compaction is retried at a later session.
      void error;
    }
  }

  /** Rewrites the journal as the limit, one add per model, least recently used first, and the bad marks. Under the lock. */
  async #compact(): Promise<void> {
    const entries = [...this.#index.entries()].reverse().map(([, entry]) => entry);
    const snapshot = [
      limitRecord(this.#maxBytes),
      ...entries.map((entry) => addRecord(entry)),
      ...entries.filter((entry) => entry.bad).map(badRecord),
    ];
    await this.#journal.rewrite(snapshot);
  }
}
