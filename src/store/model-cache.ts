// ModelCache: a durable, size-bounded on-disk store of model files.
//
// The in-memory `Cache` (createCache, on any engine) is the index: id ->
// entry, with the recency order, the byte total and the choice of victims.
// The journal (journal.ts) is the record of it on disk. Every change runs in a
// session: take the store's lock (lock.ts), replay what other processes
// appended since this one last looked, apply, append, release. Reads (`get`,
// `has`, `list`) touch only memory; the recency a hit refreshes is appended
// later, by a timer, by the next change or by `close`.
//
// On disk (docs/model-store.md):
//   <dir>/journal        the journal
//   <dir>/lock           present while a process holds the lock
//   <dir>/models/<name>  the models' files (model-ids.ts names them)
//   <dir>/tmp/<pid>-*    files being copied or downloaded, and downloads
//                        kept to resume (partials.ts)

import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { link, lstat, readdir, realpath, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createCache } from '../cache/cache.js';
import { checkOptions, describe } from '../cache/check.js';
import type { BackendName, Cache } from '../cache/types.js';
import { checkSignal, checkTimeout, DiskError, download, waitPatiently, type Patience } from './download.js';
import { copyHashing, fsyncDir, fsyncFile, hashFile, makeDir, removeFile, type Hashed } from './files.js';
import { checkId, checkPath, checkSha256, fileNameFor, isId, isModelFileName, isSha256 } from './ids.js';
import { isJournalTemp, Journal, JOURNAL_VERSION, type JournalRecord } from './journal.js';
import { acquireLock, processAlive } from './lock.js';
import { claimPartial, PARTIAL_NAME, partialKey, recordPartial, worthKeeping } from './partials.js';
import { parseSize } from './sizes.js';

export interface CachedModel {
  id: string;
  /** Absolute path of the model's file in the store. */
  path: string;
  bytes: number;
  /** SHA-256 of the file's content, lower-case hex. */
  sha256: string;
  /** ISO 8601. */
  addedAt: string;
  /** ISO 8601. */
  lastAccessed: string;
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
}

export interface ModelCacheStats {
  dir: string;
  count: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export interface VerifyResult {
  valid: string[];
  corrupted: string[];
  missing: string[];
}

export const DEFAULT_MAX_BYTES = 10 * 2 ** 30;

/** Recency refreshed by `get` is appended this long after the first unrecorded hit. */
const FLUSH_DELAY_MS = 2_000;
/** The journal is rewritten once it holds more than this many records and more than 4 per model. */
const COMPACT_MIN_RECORDS = 256;
/** Ids per touch record. */
const TOUCH_CHUNK = 512;

const JOURNAL = 'journal';
const LOCK = 'lock';
const MODELS = 'models';
const TMP = 'tmp';
const TEMP_NAME = /^(\d+)-[0-9a-f]+\.(part|download)$/;

/** Temporary files this process is writing right now, which recovery in another store object must leave alone. */
const activeTemps = new Set<string>();

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

interface Entry {
  id: string;
  file: string;
  path: string;
  bytes: number;
  sha256: string;
  addedAt: string;
  /** Last access, ms since the epoch. */
  accessed: number;
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
  };
  if (evicted.length > 0) record.evicted = evicted;
  return record;
}

const rmRecord = (id: string, why: 'remove' | 'evict' | 'gone'): JournalRecord => ({ t: 'rm', id, why });

const limitRecord = (maxBytes: number): JournalRecord => ({ t: 'limit', maxBytes });

/** Whether the process that names a temporary file is still writing it. */
function isLive(path: string, pid: number): boolean {
  return pid === process.pid ? activeTemps.has(path) : pid > 0 && processAlive(pid);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class ModelCache {
  readonly #dir: string;
  readonly #models: string;
  readonly #tmp: string;
  readonly #lockPath: string;
  readonly #backend: BackendName | 'auto' | undefined;
  /** The limit `open` was asked to set, if any. */
  readonly #requestedMaxBytes: number | undefined;
  /** The store's limit as last recorded in the journal (no limit until the first replay reads one). */
  #maxBytes = Infinity;
  #limitRecorded = false;
  #index: Cache<Entry>;
  #journal: Journal;
  /** Entries hit since recency was last appended, each once; their `touched` orders them. */
  #dirty: Entry[] = [];
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The tail of this object's chain of sessions: one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Where the index's onEvict puts victims during a session. */
  #victims: Entry[] = [];
  /** The index may be ahead of the journal (an append failed): reload it at the next session. */
  #stale = false;
  readonly #fetches = new Map<
    string,
    {
      promise: Promise<CachedModel>;
      listeners: Set<(done: number, total?: number) => void>;
      expected: string | undefined;
      controller: AbortController;
      /** The calls waiting for it: the last to give up aborts it. */
      callers: number;
    }
  >();
  readonly #downloads = new Set<AbortController>();
  readonly #inflight = new Set<Promise<unknown>>();
  /** Adds and downloads in progress by id: calls take effect in the order they were made. */
  readonly #pendingAdds = new Map<string, Set<Promise<unknown>>>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  private constructor(dir: string, maxBytes: number | undefined, backend: BackendName | 'auto' | undefined) {
    this.#dir = dir;
    this.#models = join(dir, MODELS);
    this.#tmp = join(dir, TMP);
    this.#lockPath = join(dir, LOCK);
    this.#requestedMaxBytes = maxBytes;
    this.#backend = backend;
    this.#journal = new Journal(join(dir, JOURNAL));
    this.#index = this.#createIndex();
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
   * interrupted adds and downloads are removed, models whose files vanished
   * are dropped. With `maxBytes`, that becomes the store's recorded limit and
   * least recently used models are evicted until the store fits it; without,
   * the recorded limit holds.
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
    const store = new ModelCache(dir, maxBytes, o.backend as BackendName | 'auto' | undefined);
    try {
      await makeDir(store.#models);
      await makeDir(store.#tmp);
      await store.#session(() => store.#recover());
    } catch (error) {
      store.#closed = true;
      store.#index.close();
      throw error;
    }
    return store;
  }

  /** The model, as the most recently used one; no disk I/O. */
  get(id: string): CachedModel | undefined {
    this.#check();
    checkId(id);
    const entry = this.#index.get(id);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
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
    // Registered before the first await, so a remove or clear called next waits for it.
    return this.#adding(
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
        activeTemps.add(temp);
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
          if (expected !== undefined && hashed.sha256 !== expected) {
            throw new Error(
              `options.sha256 does not match ${source}: expected ${expected}, the file's SHA-256 is ${hashed.sha256}; nothing was added`,
            );
          }
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
          activeTemps.delete(temp);
          if (!committed) await removeFile(temp);
        }
      }),
    );
  }

  /**
   * Get-or-download: a hit (with the given `sha256`, if any) resolves at
   * once; a miss downloads `url` into a temporary file, resuming with Range
   * requests after an interrupted transfer, verifies it and adds it.
   * Concurrent calls for one id share one download. A call given up (its
   * `signal`, its `deadlineMs`) rejects at once; the download stops when no
   * call waits for it any more, keeping its bytes for the next fetch.
   */
  async fetch(
    id: string,
    url: string,
    options?: {
      sha256?: string;
      onProgress?: (done: number, total?: number) => void;
      /** Gives this call up: it rejects with the signal's reason. */
      signal?: AbortSignal;
      /** Gives this call up after this long, with a DownloadError (default: never). */
      deadlineMs?: number;
      /** A download attempt fails after this long without a byte, and is retried (default 30 s). */
      idleTimeoutMs?: number;
    },
  ): Promise<CachedModel> {
    this.#check();
    checkId(id);
    if (typeof url !== 'string') throw new TypeError(`url must be a string, got ${describe(url)}`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`url must be an absolute http: or https: URL, got ${describe(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new RangeError(`url must be an http: or https: URL, got ${describe(url)}`);
    }
    const o = checkOptions(options);
    const expected = checkSha256(o.sha256, 'options.sha256');
    const onProgress = o.onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new TypeError(`options.onProgress must be a function, got ${describe(onProgress)}`);
    }
    const patience = {
      signal: checkSignal(o.signal, 'options.signal'),
      deadlineMs: checkTimeout(o.deadlineMs, 'options.deadlineMs'),
    };
    const idleTimeoutMs = checkTimeout(o.idleTimeoutMs, 'options.idleTimeoutMs');
    patience.signal?.throwIfAborted();
    const present = this.#index.peek(id);
    if (present !== undefined && (expected === undefined || present.sha256 === expected)) return this.get(id)!;
    this.#misses++;
    // Registered before the first await, so a remove or clear called next waits for it.
    return this.#adding(
      id,
      this.#track(() =>
        this.#getOrDownload(
          id,
          url,
          expected,
          onProgress as ((done: number, total?: number) => void) | undefined,
          patience,
          idleTimeoutMs,
        ),
      ),
    );
  }

  /**
   * The miss path of fetch: joins a download of `id` that expects the same
   * content, or starts one. A download that expects other content may fail
   * where this one would not, or bring what this one wants: it is awaited,
   * then the store is looked at again.
   */
  async #getOrDownload(
    id: string,
    url: string,
    expected: string | undefined,
    onProgress: ((done: number, total?: number) => void) | undefined,
    patience: Patience,
    idleTimeoutMs: number | undefined,
  ): Promise<CachedModel> {
    for (;;) {
      let shared = this.#fetches.get(id);
      if (shared === undefined) {
        const present = this.#index.peek(id);
        if (present !== undefined && (expected === undefined || present.sha256 === expected))
          return this.#used(this.#index.get(id)!);
        const listeners = new Set<(done: number, total?: number) => void>();
        const controller = new AbortController();
        // A pending add of its own: a remove after a call that gave up still waits for it.
        const promise = this.#adding(
          id,
          this.#track(() => this.#download(id, url, expected, listeners, controller, idleTimeoutMs)),
        );
        const entry = { promise, listeners, expected, controller, callers: 0 };
        shared = entry;
        this.#fetches.set(id, entry);
        const done = () => this.#fetches.get(id) === entry && this.#fetches.delete(id);
        promise.then(done, done);
      }
      if (shared.expected === expected) {
        const entry = shared;
        if (onProgress !== undefined) entry.listeners.add(onProgress);
        entry.callers++;
        const leave = () => {
          if (onProgress !== undefined) entry.listeners.delete(onProgress);
          if (--entry.callers > 0) return;
          if (this.#fetches.get(id) === entry) this.#fetches.delete(id);
          entry.controller.abort(new Error('every fetch waiting for it gave up'));
        };
        return { ...(await waitPatiently(entry.promise, url, patience, leave)) };
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

  /** Removes the model and its file; false if it was not there. */
  async remove(id: string): Promise<boolean> {
    this.#check();
    checkId(id);
    const before = [...(this.#pendingAdds.get(id) ?? [])];
    return this.#track(async () => {
      await Promise.allSettled(before);
      return this.#session(async () => {
        const entry = this.#index.peek(id);
        if (entry === undefined) return false;
        this.#index.delete(id);
        entry.touched = 0;
        await this.#append([rmRecord(id, 'remove')], true);
        await removeFile(entry.path);
        return true;
      });
    });
  }

  /**
   * Hashes every model's file: `valid`, `corrupted` (content or size changed)
   * or `missing`. Changes nothing; runs without the lock, so other processes
   * are not held up, and what changed under it meanwhile is checked again.
   */
  async verify(): Promise<VerifyResult> {
    this.#check();
    return this.#track(async () => {
      const result: VerifyResult = { valid: [], corrupted: [], missing: [] };
      const check = async (entry: Entry): Promise<keyof VerifyResult> => {
        try {
          const { bytes, sha256 } = await hashFile(entry.path);
          return bytes === entry.bytes && sha256 === entry.sha256 ? 'valid' : 'corrupted';
        } catch (error) {
          if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return 'missing';
          throw error;
        }
      };
      const doubtful: [Entry, keyof VerifyResult][] = [];
      for (const [id, entry] of this.#index.entries()) {
        const verdict = await check(entry);
        if (verdict === 'valid') result.valid.push(id);
        else doubtful.push([entry, verdict]);
      }
      if (doubtful.length > 0) {
        // Another process may have removed or replaced these meanwhile.
        await this.#session(async () => {});
        for (const [entry, verdict] of doubtful) {
          const now = this.#index.peek(entry.id);
          if (now === undefined) continue;
          result[now === entry ? verdict : await check(now)].push(entry.id);
        }
      }
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
    };
  }

  /** Removes every model and its file. */
  async clear(): Promise<void> {
    this.#check();
    const before = [...this.#pendingAdds.values()].flatMap((pending) => [...pending]);
    await this.#track(async () => {
      await Promise.allSettled(before);
      await this.#session(async () => {
        this.#index.clear();
        this.#forgetHits();
        try {
          await this.#journal.rewrite([limitRecord(this.#maxBytes)]);
        } catch (error) {
          this.#stale = true;
          throw error;
        }
        await this.#sweepModels();
      });
    });
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
      await Promise.allSettled([...this.#inflight]);
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      try {
        if (this.#dirty.length > 0) await this.#session(async () => {}, true);
      } finally {
        await this.#queue;
        this.#index.close();
      }
    })();
    return this.#closing;
  }

  /** Notes a use of an entry the index has just made most recent; it is appended later. */
  #used(entry: Entry): CachedModel {
    entry.accessed = Date.now();
    if (entry.touched === 0) this.#dirty.push(entry);
    entry.touched = ++this.#sequence;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (!this.#closed) this.#session(async () => {}).catch(() => {});
      }, FLUSH_DELAY_MS);
      this.#timer.unref();
    }
    return this.#model(entry);
  }

  /** Registers an add or download of `id`, which a later remove or clear waits for. */
  #adding<T>(id: string, promise: Promise<T>): Promise<T> {
    let pending = this.#pendingAdds.get(id);
    if (pending === undefined) this.#pendingAdds.set(id, (pending = new Set()));
    pending.add(promise);
    const done = () => {
      pending.delete(promise);
      if (pending.size === 0 && this.#pendingAdds.get(id) === pending) this.#pendingAdds.delete(id);
    };
    promise.then(done, done);
    return promise;
  }

  #forgetHits(): void {
    for (const entry of this.#dirty) entry.touched = 0;
    this.#dirty = [];
  }

  #check(): void {
    if (this.#closed) throw new Error('caro-cache: the model cache is closed');
  }

  #checkFits(bytes: number, what: string): void {
    if (bytes > this.#maxBytes) {
      throw new RangeError(
        `${what} is ${bytes} bytes, larger than the store's maxBytes (${this.#maxBytes}); nothing was evicted`,
      );
    }
  }

  #model(entry: Entry): CachedModel {
    return {
      id: entry.id,
      path: entry.path,
      bytes: entry.bytes,
      sha256: entry.sha256,
      addedAt: entry.addedAt,
      lastAccessed: iso(entry.accessed),
    };
  }

  #tempPath(kind: 'part' | 'download'): string {
    return join(this.#tmp, `${process.pid}-${randomBytes(8).toString('hex')}.${kind}`);
  }

  #track<T>(work: () => Promise<T>): Promise<T> {
    const promise = this.#closed ? Promise.reject(new Error('caro-cache: the model cache is closed')) : work();
    this.#inflight.add(promise);
    const done = () => this.#inflight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /**
   * Runs `work` under the store's lock, after replaying the journal, then
   * compacts the journal if it has grown. Sessions of one object run one at
   * a time; `syncTouches` flushes recency-only appends too (for close).
   */
  #session<T>(work: () => Promise<T>, syncTouches = false): Promise<T> {
    const run = this.#queue.then(async () => {
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

  /** Appends records; on failure the index is reloaded from the journal at the next session. */
  async #append(records: JournalRecord[], sync: boolean): Promise<void> {
    try {
      await this.#journal.append(records, sync);
    } catch (error) {
      this.#stale = true;
      throw error;
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
    this.#victims = [];
    this.#applyAll(read.records, read.reset);
    // A victim of an earlier record may be back by a later one: only what is
    // gone at the end is recorded, and only files no model owns are deleted.
    const victims = this.#victims.filter((v) => !this.#index.has(v.id));
    const doomed = this.#victims.filter((v) => this.#index.peek(v.id)?.file !== v.file);
    this.#victims = [];
    const records: JournalRecord[] = [...new Set(victims.map((v) => v.id))].map((id) => rmRecord(id, 'evict'));
    if (this.#dirty.length > 0) {
      const hits = this.#dirty.filter((e) => e.touched > 0).sort((a, b) => a.touched - b.touched);
      this.#forgetHits();
      const ids: string[] = [];
      const at: number[] = [];
      for (const hit of hits) {
        // After a full reload the index holds new objects for the same models.
        const entry = this.#index.peek(hit.id);
        if (entry === undefined || entry.file !== hit.file) continue;
        this.#index.get(hit.id);
        entry.accessed = Math.max(entry.accessed, hit.accessed);
        ids.push(hit.id);
        at.push(entry.accessed);
      }
      for (let i = 0; i < ids.length; i += TOUCH_CHUNK) {
        records.push({ t: 'touch', ids: ids.slice(i, i + TOUCH_CHUNK), at: at.slice(i, i + TOUCH_CHUNK) });
      }
    }
    await this.#append(records, syncTouches || victims.length > 0);
    this.#evictions += victims.length;
    for (const victim of doomed) await removeFile(victim.path);
  }

  /**
   * Applies journal records to the index. They are folded first into their
   * net effect (what is removed, then what is added or touched, in the order
   * of each id's last mention), which is then applied removals first and the
   * rest least recent first: so when the models do not all fit in this
   * object's maxBytes, the ones evicted are the least recently used of the
   * end state, not whichever happened to be oldest halfway through. A record
   * that does not make sense is ignored.
   */
  #applyAll(records: JournalRecord[], reset: boolean): void {
    type Mention = { kind: 'add'; entry: Entry } | { kind: 'touch'; at: number } | { kind: 'rm' };
    const mentions = new Map<string, Mention>();
    let cleared = reset;
    let limit: number | undefined;
    const mention = (id: string, m: Mention) => {
      mentions.delete(id);
      mentions.set(id, m);
    };
    for (const record of records) {
      switch (record.t) {
        case 'add': {
          const { id, file, bytes, sha256, addedAt, at } = record;
          if (!isId(id) || !isModelFileName(file) || !isSha256(sha256)) break;
          if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || typeof addedAt !== 'string')
            break;
          const accessed = typeof at === 'number' && Number.isFinite(at) ? at : Date.parse(addedAt) || Date.now();
          if (Array.isArray(record.evicted))
            for (const victim of record.evicted) if (isId(victim)) mention(victim, { kind: 'rm' });
          mention(id, {
            kind: 'add',
            entry: { id, file, path: join(this.#models, file), bytes, sha256, addedAt, accessed, touched: 0 },
          });
          break;
        }
        case 'rm':
          if (isId(record.id)) mention(record.id, { kind: 'rm' });
          break;
        case 'clear':
          mentions.clear();
          cleared = true;
          break;
        case 'limit':
          if (typeof record.maxBytes === 'number' && Number.isSafeInteger(record.maxBytes) && record.maxBytes >= 0)
            limit = record.maxBytes;
          break;
        case 'touch': {
          const { ids, at } = record;
          if (!Array.isArray(ids) || !Array.isArray(at)) break;
          ids.forEach((id: unknown, i) => {
            const time: unknown = at[i];
            if (!isId(id) || typeof time !== 'number' || !Number.isFinite(time)) return;
            const earlier = mentions.get(id);
            if (earlier?.kind === 'add') {
              earlier.entry.accessed = time;
              mention(id, earlier);
            } else if (earlier?.kind === 'touch' || (earlier === undefined && !cleared && this.#index.has(id))) {
              mention(id, { kind: 'touch', at: time });
            }
          });
          break;
        }
        default:
        // Headers and kinds of record this version does not know.
      }
    }
    if (cleared) this.#index.clear();
    for (const [id, m] of mentions) if (m.kind === 'rm') this.#index.delete(id);
    if (limit !== undefined) {
      this.#limitRecorded = true;
      if (limit !== this.#maxBytes) this.#resize(limit);
    }
    for (const [id, m] of mentions) {
      if (m.kind === 'add') {
        if (m.entry.bytes > this.#maxBytes) {
          // Larger than this object's limit: it goes, as any model that does not fit.
          this.#index.delete(id);
          this.#victims.push(m.entry);
        } else {
          this.#index.set(id, m.entry, m.entry.bytes);
        }
      } else if (m.kind === 'touch') {
        const entry = this.#index.get(id);
        if (entry !== undefined) entry.accessed = m.at;
      }
    }
  }

  /**
   * Gives the index a new limit: the index is rebuilt, least recently used
   * model first, so what no longer fits goes to the victims.
   */
  #resize(maxBytes: number): void {
    const entries = [...this.#index.entries()].reverse();
    this.#index.close();
    this.#maxBytes = maxBytes;
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

  /** Places a staged file (a temporary file in tmp/) as the model `id`, evicting what must go. Under the lock. */
  #commit(id: string, temp: string, hashed: Hashed): Promise<CachedModel> {
    return this.#session(async () => {
      // Another process may have lowered the limit since the caller checked.
      this.#checkFits(hashed.bytes, `the model ${JSON.stringify(id)}`);
      const file = fileNameFor(id, hashed.sha256);
      const path = join(this.#models, file);
      const previous = this.#index.peek(id);
      renameSync(temp, path);
      const now = Date.now();
      const entry: Entry = {
        id,
        file,
        path,
        bytes: hashed.bytes,
        sha256: hashed.sha256,
        addedAt: iso(now),
        accessed: now,
        touched: 0,
      };
      if (previous !== undefined) previous.touched = 0;
      this.#victims = [];
      this.#index.set(id, entry, hashed.bytes);
      const victims = this.#victims;
      this.#victims = [];
      // The rename is flushed before the record: a record on the disk always
      // has its file there, and the evictions and the add it records happen
      // together or not at all.
      try {
        await fsyncDir(this.#models);
      } catch (error) {
        this.#stale = true;
        if (previous?.file !== file) await removeFile(path).catch(() => {});
        throw error;
      }
      // If the append fails the record may still have reached the disk: the
      // file stays, owned after the reload or swept as an orphan at the next open.
      await this.#append(
        [
          addRecord(
            entry,
            victims.map((v) => v.id),
          ),
        ],
        true,
      );
      this.#evictions += victims.length;
      const doomed = victims.map((v) => v.path);
      if (previous !== undefined && previous.file !== file) doomed.push(previous.path);
      await Promise.all(doomed.map(removeFile));
      return this.#model(entry);
    });
  }

  async #download(
    id: string,
    url: string,
    expected: string | undefined,
    listeners: Set<(done: number, total?: number) => void>,
    controller: AbortController,
    idleTimeoutMs: number | undefined,
  ): Promise<CachedModel> {
    // Another process may have added it meanwhile.
    const found = await this.#session(async () => this.#index.peek(id));
    if (found !== undefined && (expected === undefined || found.sha256 === expected)) {
      if (this.#closed) return this.#model(found);
      this.#index.get(id);
      return this.#used(found);
    }
    this.#check();
    const claim = await claimPartial(this.#tmp, partialKey(id, url), url, activeTemps, isLive);
    const temp = claim?.path ?? this.#tempPath('download');
    activeTemps.add(temp);
    this.#downloads.add(controller);
    let downloaded = false;
    try {
      const hashed = await download(url, temp, {
        signal: controller.signal,
        idleTimeoutMs,
        maxBytes: this.#maxBytes,
        resume: claim?.resume,
        keepPartial: claim !== undefined,
        onDurable: claim === undefined ? undefined : (partial) => recordPartial(claim.meta, url, partial),
        onProgress: (done, total) => {
          for (const listener of listeners) {
            try {
              listener(done, total);
            } catch {
              // A progress callback's failure is not the download's.
            }
          }
        },
      }).catch((error: unknown) => {
        throw error instanceof DiskError ? error.forModel(id) : error;
      });
      downloaded = true;
      if (expected !== undefined && hashed.sha256 !== expected) {
        throw new Error(
          `GET ${url}: the download's SHA-256 is ${hashed.sha256}, not ${expected} (options.sha256); nothing was added`,
        );
      }
      return await this.#commit(id, temp, hashed);
    } finally {
      activeTemps.delete(temp);
      this.#downloads.delete(controller);
      // A failed download() keeps its file only if a later fetch can resume
      // it; a finished one is moved into the store or not wanted.
      if (downloaded) await removeFile(temp);
      if (claim !== undefined && (downloaded || !(await exists(temp)))) await removeFile(claim.meta);
    }
  }

  /** At open, under the lock and after the replay: removes what crashes left and drops models whose files vanished. */
  async #recover(): Promise<void> {
    for (const name of await readdir(this.#tmp)) {
      const path = join(this.#tmp, name);
      const partial = PARTIAL_NAME.exec(name);
      const match = partial ?? TEMP_NAME.exec(name);
      const pid = match === null ? 0 : Number(match[1]);
      if (isLive(path, pid)) continue;
      // A download kept to resume stays a while, with its record.
      if (partial !== null && (await worthKeeping(path))) continue;
      await removeFile(path);
    }
    // Journal rewrites happen under the lock, which this process holds: any temporary one is a leftover.
    for (const name of await readdir(this.#dir)) {
      if (isJournalTemp(name, JOURNAL)) await removeFile(join(this.#dir, name));
    }
    const present = await this.#sweepModels();
    const gone = [...this.#index.entries()].filter(([, entry]) => !present.has(entry.file)).map(([id]) => id);
    for (const id of gone) this.#index.delete(id);
    const records = gone.map((id) => rmRecord(id, 'gone'));
    // The limit changes only when asked; a new store records the default.
    const limit = this.#requestedMaxBytes ?? (this.#limitRecorded ? this.#maxBytes : defaultMaxBytes());
    let victims: Entry[] = [];
    if (!this.#limitRecorded || limit !== this.#maxBytes) {
      this.#victims = [];
      this.#resize(limit);
      victims = this.#victims;
      this.#victims = [];
      records.push(limitRecord(limit), ...victims.map((v) => rmRecord(v.id, 'evict')));
      this.#limitRecorded = true;
    }
    await this.#append(records, true);
    this.#evictions += victims.length;
    for (const victim of victims) await removeFile(victim.path);
    // An older format's reader would drop records it does not know when it compacts.
    if (this.#journal.version < JOURNAL_VERSION) await this.#compact();
  }

  /** Deletes files in models/ that no model owns (left by crashes between a rename and its record); returns the names kept. Under the lock. */
  async #sweepModels(): Promise<Set<string>> {
    const owned = new Set<string>();
    for (const [, entry] of this.#index.entries()) owned.add(entry.file);
    const kept = new Set<string>();
    let removed = 0;
    for (const name of await readdir(this.#models)) {
      if (owned.has(name)) kept.add(name);
      else {
        await removeFile(join(this.#models, name));
        removed++;
      }
    }
    if (removed > 0) await fsyncDir(this.#models);
    return kept;
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

  /** Rewrites the journal as the limit and one add per model, least recently used first. Under the lock. */
  async #compact(): Promise<void> {
    const snapshot = [
      limitRecord(this.#maxBytes),
      ...[...this.#index.entries()].reverse().map(([, entry]) => addRecord(entry)),
    ];
    await this.#journal.rewrite(snapshot);
  }
}
