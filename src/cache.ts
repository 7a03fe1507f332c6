import { resolveBackend } from './backends.js';
import { VICTIM_BATCH, type LruCore } from './core.js';
import type { BackendName, Cache, CacheOptions, CacheStats } from './types.js';

const BACKEND_CHOICES = ['auto', 'native', 'wasm', 'ts'];
/** How deep onEvict may re-enter set() on the same cache. */
const MAX_DEPTH = 64;

/**
 * The one public cache over every engine. Keys live here, in a Map from key
 * to slot, with keys and values in arrays indexed by slot; the engine owns
 * the recency order, the byte total and the choice of victims, and sees only
 * numbers. A hit therefore costs one Map lookup and one call carrying an
 * integer across the boundary.
 */
class LruCache<V> implements Cache<V> {
  readonly #backend: BackendName;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #core: LruCore | null;
  readonly #slots = new Map<string, number>();
  readonly #keys: (string | undefined)[] = [];
  readonly #values: (V | undefined)[] = [];
  readonly #onEvict: ((key: string, value: V, bytes: number) => void) | undefined;
  #hits = 0;
  #misses = 0;
  #sets = 0;
  #deletes = 0;
  #evictions = 0;
  #evictedBytes = 0;
  // How deep onEvict callbacks have re-entered set(): bounded, so endless
  // recursion fails cleanly before a set starts rather than by stack overflow
  // in the middle of one.
  #depth = 0;

  constructor(
    backend: BackendName,
    core: LruCore,
    maxEntries: number,
    maxBytes: number,
    onEvict: ((key: string, value: V, bytes: number) => void) | undefined,
  ) {
    this.#backend = backend;
    this.#core = core;
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#onEvict = onEvict;
  }

  get backend(): BackendName {
    return this.#backend;
  }

  get maxEntries(): number {
    return this.#maxEntries;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  get size(): number {
    this.#open();
    return this.#slots.size;
  }

  get bytes(): number {
    return this.#open().bytes();
  }

  get(key: string): V | undefined {
    const core = this.#open();
    checkKey(key);
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      this.#misses++;
      return undefined;
    }
    core.touch(slot);
    this.#hits++;
    return this.#values[slot];
  }

  peek(key: string): V | undefined {
    this.#open();
    checkKey(key);
    const slot = this.#slots.get(key);
    return slot === undefined ? undefined : this.#values[slot];
  }

  has(key: string): boolean {
    this.#open();
    checkKey(key);
    return this.#slots.has(key);
  }

  set(key: string, value: V, size = 0): this {
    const core = this.#open();
    if (this.#depth >= MAX_DEPTH) throw new RangeError(`onEvict re-entered set() more than ${MAX_DEPTH} levels deep`);
    checkKey(key);
    const bytes = toSize(size, 'bytes');
    if (bytes > this.#maxBytes) {
      throw new RangeError(`bytes (${bytes}) exceeds the cache's maxBytes (${this.#maxBytes})`);
    }
    let slot = this.#slots.get(key);
    // With a finite maxBytes evictions keep the total below it; without one,
    // refuse a total that a double could no longer hold exactly.
    if (this.#maxBytes === Infinity && bytes > 0) {
      const rest = core.bytes() - (slot === undefined ? 0 : core.sizeOf(slot));
      if (rest > Number.MAX_SAFE_INTEGER - bytes) {
        throw new RangeError(`bytes (${bytes}) would take the cache's total past Number.MAX_SAFE_INTEGER`);
      }
    }
    if (slot === undefined) {
      slot = core.insert(bytes);
      this.#slots.set(key, slot);
      this.#keys[slot] = key;
    } else {
      core.update(slot, bytes);
    }
    this.#values[slot] = value;
    this.#sets++;
    this.#evict(core);
    return this;
  }

  delete(key: string): boolean {
    const core = this.#open();
    checkKey(key);
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    core.remove(slot);
    this.#forget(key, slot);
    this.#deletes++;
    return true;
  }

  clear(): void {
    this.#open().clear();
    this.#slots.clear();
    this.#keys.length = 0;
    this.#values.length = 0;
  }

  keys(): IterableIterator<string> {
    const order = this.#open().order();
    const keys = new Array<string>(order.length);
    for (let i = 0; i < order.length; i++) keys[i] = this.#keys[order[i]]!;
    return keys.values();
  }

  entries(): IterableIterator<[string, V]> {
    const order = this.#open().order();
    const entries = new Array<[string, V]>(order.length);
    for (let i = 0; i < order.length; i++) entries[i] = [this.#keys[order[i]]!, this.#values[order[i]]!];
    return entries.values();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  stats(): CacheStats {
    this.#open();
    return {
      hits: this.#hits,
      misses: this.#misses,
      sets: this.#sets,
      deletes: this.#deletes,
      evictions: this.#evictions,
      evictedBytes: this.#evictedBytes,
    };
  }

  close(): void {
    if (this.#core === null) return;
    this.#core.close();
    this.#core = null;
    this.#slots.clear();
    this.#keys.length = 0;
    this.#values.length = 0;
  }

  #open(): LruCore {
    if (this.#core === null) throw new Error('caro-cache: the cache is closed');
    return this.#core;
  }

  #forget(key: string, slot: number): void {
    this.#slots.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
  }

  // Applies the engine's evictions, then reports them: onEvict runs only once
  // the cache is consistent, so it may read or even change the cache.
  #evict(core: LruCore): void {
    let count = core.evict();
    if (count === 0) return;
    // Allocated only for onEvict: most caches have none.
    let evicted: [string, V, number][] | undefined;
    for (;;) {
      const victims = core.victims();
      for (let i = 0; i < count; i++) {
        const slot = victims[2 * i];
        const bytes = victims[2 * i + 1];
        const key = this.#keys[slot]!;
        if (this.#onEvict !== undefined) (evicted ??= []).push([key, this.#values[slot]!, bytes]);
        this.#forget(key, slot);
        this.#evictions++;
        this.#evictedBytes += bytes;
      }
      if (count < VICTIM_BATCH) break;
      count = core.evict();
    }
    if (evicted !== undefined) this.#report(evicted);
  }

  // Every eviction is reported even if a callback throws; the first error is
  // rethrown afterwards.
  #report(evicted: [string, V, number][]): void {
    const onEvict = this.#onEvict!;
    let failure: { error: unknown } | undefined;
    this.#depth++;
    try {
      for (const [key, value, bytes] of evicted) {
        try {
          onEvict(key, value, bytes);
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.#depth--;
    }
    if (failure !== undefined) throw failure.error;
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`key must be a string, got ${describe(key)}`);
}

/**
 * A size: a non-negative safe integer. Returned with -0 made 0, which one
 * engine would otherwise hand back to onEvict as -0 and the others as 0.
 */
function toSize(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer no larger than 2^53-1, got ${value}`);
  }
  return value + 0;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

function checkLimit(value: unknown, name: string, smallest: number): number {
  if (value === undefined || value === Infinity) return Infinity;
  const limit = toSize(value, name);
  if (limit < smallest) throw new RangeError(`${name} must be at least ${smallest} or Infinity, got ${limit}`);
  return limit;
}

function checkBackend(option: unknown): BackendName | 'auto' {
  const fromEnv = option === undefined;
  const backend: unknown = fromEnv ? (process.env.CARO_CACHE_BACKEND || 'auto') : option;
  const name = fromEnv ? 'the CARO_CACHE_BACKEND environment variable' : 'options.backend';
  if (typeof backend !== 'string') throw new TypeError(`${name} must be a string, got ${describe(backend)}`);
  if (!BACKEND_CHOICES.includes(backend)) {
    throw new RangeError(`${name} must be one of ${BACKEND_CHOICES.join(', ')}, got ${describe(backend)}`);
  }
  return backend as BackendName | 'auto';
}

/** Creates a cache on the engine asked for, or the fastest one that loads here. */
export function createCache<V>(options: CacheOptions<V> = {}): Cache<V> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  // Each option is read once: a getter cannot answer one thing to the check and another to the cache.
  const { maxEntries: entries, maxBytes: bytes, backend, onEvict } = options;
  const maxEntries = checkLimit(entries, 'maxEntries', 1);
  const maxBytes = checkLimit(bytes, 'maxBytes', 0);
  if (onEvict !== undefined && typeof onEvict !== 'function') {
    throw new TypeError(`onEvict must be a function, got ${describe(onEvict)}`);
  }
  const { name, factory } = resolveBackend(checkBackend(backend));
  return new LruCache<V>(name, factory(maxEntries, maxBytes), maxEntries, maxBytes, onEvict);
}
