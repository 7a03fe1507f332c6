import { VICTIM_BATCH, type Engine } from '../engines/contract.js';
import { BACKENDS, resolveEngine, type BackendName } from '../engines/load.js';
import { checkOptions, checkSize, describe } from './check.js';
import type { Cache, CacheOptions, CacheStats } from './types.js';

const BACKEND_CHOICES: readonly string[] = ['auto', ...BACKENDS];
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
  #engine: Engine | null;
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
    engine: Engine,
    maxEntries: number,
    maxBytes: number,
    onEvict: ((key: string, value: V, bytes: number) => void) | undefined,
  ) {
    this.#backend = backend;
    this.#engine = engine;
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
    const engine = this.#open();
    checkKey(key);
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      this.#misses++;
      return undefined;
    }
    engine.touch(slot);
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
    const engine = this.#open();
    if (this.#depth >= MAX_DEPTH) throw new RangeError(`onEvict re-entered set() more than ${MAX_DEPTH} levels deep`);
    checkKey(key);
    const bytes = checkSize(size, 'bytes');
    if (bytes > this.#maxBytes) {
      throw new RangeError(`bytes (${bytes}) exceeds the cache's maxBytes (${this.#maxBytes})`);
    }
    let slot = this.#slots.get(key);
    // With a finite maxBytes evictions keep the total below it; without one,
    // refuse a total that a double could no longer hold exactly.
    if (this.#maxBytes === Infinity && bytes > 0) {
      const rest = engine.bytes() - (slot === undefined ? 0 : engine.sizeOf(slot));
      if (rest > Number.MAX_SAFE_INTEGER - bytes) {
        throw new RangeError(`bytes (${bytes}) would take the cache's total past Number.MAX_SAFE_INTEGER`);
      }
    }
    if (slot !== undefined) engine.update(slot, bytes);
    else {
      slot = engine.insert(bytes);
      // A slot that still names a key was recycled: that entry was evicted for this one.
      const displaced = this.#keys[slot];
      if (displaced !== undefined) {
        this.#recycle(key, value, slot, displaced, engine.victims()[1]);
        return this;
      }
      this.#slots.set(key, slot);
      this.#keys[slot] = key;
    }
    this.#values[slot] = value;
    this.#sets++;
    this.#evict(engine);
    return this;
  }

  delete(key: string): boolean {
    const engine = this.#open();
    checkKey(key);
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    engine.remove(slot);
    this.#deletes++;
    this.#forget(key, slot);
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
    if (this.#engine === null) return;
    this.#engine.close();
    this.#engine = null;
    this.#slots.clear();
    this.#keys.length = 0;
    this.#values.length = 0;
  }

  #open(): Engine {
    if (this.#engine === null) throw new Error('caro-cache: the cache is closed');
    return this.#engine;
  }

  // The Map's call comes last, as in #recycle.
  #forget(key: string, slot: number): void {
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#slots.delete(key);
  }

  // Puts a new entry in the slot of the one insert() evicted for it, then
  // reports that one. The Map's calls come last: V8 checks the shapes of
  // this cache's fields again after each of them.
  #recycle(key: string, value: V, slot: number, displaced: string, bytes: number): void {
    const onEvict = this.#onEvict;
    const old = onEvict === undefined ? undefined : this.#values[slot]!;
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#sets++;
    this.#evictions++;
    this.#evictedBytes += bytes;
    const slots = this.#slots;
    slots.delete(displaced);
    slots.set(key, slot);
    if (onEvict !== undefined) this.#report([[displaced, old!, bytes]]);
  }

  // Applies the engine's evictions, then reports them: onEvict runs only once
  // the cache is consistent, so it may read or even change the cache.
  #evict(engine: Engine): void {
    let count = engine.evict();
    if (count === 0) return;
    // Allocated only for onEvict: most caches have none.
    let evicted: [string, V, number][] | undefined;
    for (;;) {
      const victims = engine.victims();
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
      count = engine.evict();
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

function checkLimit(value: unknown, name: string, smallest: number): number {
  if (value === undefined || value === Infinity) return Infinity;
  const limit = checkSize(value, name);
  if (limit < smallest) throw new RangeError(`${name} must be at least ${smallest} or Infinity, got ${limit}`);
  return limit;
}

function checkBackend(option: unknown): BackendName | 'auto' {
  const fromEnv = option === undefined;
  const backend: unknown = fromEnv ? process.env.CARO_CACHE_BACKEND || 'auto' : option;
  const name = fromEnv ? 'the CARO_CACHE_BACKEND environment variable' : 'options.backend';
  if (typeof backend !== 'string') throw new TypeError(`${name} must be a string, got ${describe(backend)}`);
  if (!BACKEND_CHOICES.includes(backend)) {
    throw new RangeError(`${name} must be one of ${BACKEND_CHOICES.join(', ')}, got ${describe(backend)}`);
  }
  return backend as BackendName | 'auto';
}

/** Creates a cache on the engine asked for, or the fastest one that loads here. */
export function createCache<V>(options?: CacheOptions<V>): Cache<V> {
  // Each option is read once: a getter cannot answer one thing to the check and another to the cache.
  const { maxEntries: entries, maxBytes: bytes, backend, onEvict } = checkOptions(options) as CacheOptions<V>;
  const maxEntries = checkLimit(entries, 'maxEntries', 1);
  const maxBytes = checkLimit(bytes, 'maxBytes', 0);
  if (onEvict !== undefined && typeof onEvict !== 'function') {
    throw new TypeError(`onEvict must be a function, got ${describe(onEvict)}`);
  }
  const { name, factory } = resolveEngine(checkBackend(backend));
  return new LruCache<V>(name, factory(maxEntries, maxBytes), maxEntries, maxBytes, onEvict);
}
