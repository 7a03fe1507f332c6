import type { BackendName } from '../engines/load.js';

export type { BackendName };

export interface CacheOptions<V> {
  /** Most entries kept: a positive integer or Infinity (the default). */
  maxEntries?: number;
  /** Most bytes kept, summed over the entries' sizes: a non-negative safe integer or Infinity (the default). */
  maxBytes?: number;
  /** The engine; `'auto'` (the default, or `$CARO_CACHE_BACKEND`) takes the fastest engine that loads: ts, then wasm, then native. */
  backend?: BackendName | 'auto';
  /** Called once per capacity eviction, oldest first, after the cache is consistent again. */
  onEvict?: (key: string, value: V, bytes: number) => void;
}

export interface CacheStats {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  evictedBytes: number;
}

export interface Cache<V> {
  /** The engine actually serving. */
  readonly backend: BackendName;
  /** Number of entries. */
  readonly size: number;
  /** Sum of the entries' sizes, exact up to 2^53-1. */
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** A hit becomes the most recently used entry; counts hits and misses. */
  get(key: string): V | undefined;
  /** Reads without changing recency or stats. */
  peek(key: string): V | undefined;
  /** Tests without changing recency or stats. */
  has(key: string): boolean;
  /** Inserts or replaces `key` as the most recently used entry, then evicts to the limits. */
  set(key: string, value: V, bytes?: number): this;
  delete(key: string): boolean;
  /** Removes every entry without calling `onEvict`; stats are kept. */
  clear(): void;
  /** Keys from most to least recently used (a snapshot). */
  keys(): IterableIterator<string>;
  /** Entries from most to least recently used (a snapshot). */
  entries(): IterableIterator<[string, V]>;
  /** The same as `entries()`, so a cache can be spread or used in for-of. */
  [Symbol.iterator](): IterableIterator<[string, V]>;
  stats(): CacheStats;
  /** Frees the engine's memory; later calls throw, a second close does nothing. */
  close(): void;
}
