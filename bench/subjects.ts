// What the benchmarks run on: the three engines through the public API (and
// `auto`, whichever of them createCache serves by default), and
// the npm LRU caches people would otherwise use, behind one small interface.
// Peers are this package's dependencies, loaded only in the worker that measures them.

import { createRequire } from 'node:module';
import { createCache, type BackendName } from 'caro-cache';

/** The operations the four benchmarks need. */
export interface Store {
  get(key: string): unknown;
  set(key: string, value: number, bytes: number): unknown;
  delete(key: string): boolean;
  readonly size: number;
}

export interface Limits {
  /** Entries that fill the cache. */
  entries: number;
  /** Bytes that fill the cache. */
  bytes: number;
}

export interface Subject {
  name: string;
  kind: 'engine' | 'peer';
  /** Evicts exactly the least recently used entry (quick-lru keeps two generations instead). */
  exactLru: boolean;
  /** Can limit by summed entry sizes; count-only caches get an equivalent entry limit where sizes are uniform. */
  byteLimit: boolean;
  create(limits: Limits): Store;
}

export function engineSubject(backend: BackendName | 'auto'): Subject {
  return {
    name: backend,
    kind: 'engine',
    exactLru: true,
    byteLimit: true,
    create: (limits) => createCache<number>({ backend, maxBytes: limits.bytes }),
  };
}

const require = createRequire(import.meta.url);

type Ctor<T> = new (...args: never[]) => T;
interface MapLike {
  get(key: string): unknown;
  set(key: string, value: number): unknown;
  delete(key: string): boolean;
  readonly size: number;
}

/** A count-limited cache used as a Store: sizes are ignored, so only uniform-size workloads are fair. */
function countOnly(make: (entries: number) => MapLike): (limits: Limits) => Store {
  return (limits) => {
    const cache = make(limits.entries);
    return {
      get: (key) => cache.get(key),
      set: (key, value) => cache.set(key, value),
      delete: (key) => cache.delete(key),
      get size() {
        return cache.size;
      },
    };
  };
}

/** The peers, each loaded on demand; `load` throws when the package is not installed. */
export const PEERS: { name: string; exactLru: boolean; byteLimit: boolean; load(): (limits: Limits) => Store }[] = [
  {
    name: 'lru-cache',
    exactLru: true,
    byteLimit: true,
    load() {
      const { LRUCache } = require('lru-cache') as {
        LRUCache: Ctor<MapLike & { set(key: string, value: number, options: { size: number }): unknown }>;
      };
      return (limits) => {
        const cache = new LRUCache({ maxSize: limits.bytes } as never);
        return {
          get: (key) => cache.get(key),
          set: (key, value, bytes) => cache.set(key, value, { size: bytes }),
          delete: (key) => cache.delete(key),
          get size() {
            return cache.size;
          },
        };
      };
    },
  },
  {
    name: 'lru.min',
    exactLru: true,
    byteLimit: false,
    load() {
      const { createLRU } = require('lru.min') as { createLRU(options: { max: number }): MapLike };
      return countOnly((max) => createLRU({ max }));
    },
  },
  // mnemonist's two exact classes: a Map index, and an object index.
  {
    name: 'mnemonist-map',
    exactLru: true,
    byteLimit: false,
    load() {
      const { LRUMapWithDelete } = require('mnemonist') as { LRUMapWithDelete: Ctor<MapLike> };
      return countOnly((max) => new LRUMapWithDelete(max as never));
    },
  },
  {
    name: 'mnemonist-cache',
    exactLru: true,
    byteLimit: false,
    load() {
      const { LRUCacheWithDelete } = require('mnemonist') as { LRUCacheWithDelete: Ctor<MapLike> };
      return countOnly((max) => new LRUCacheWithDelete(max as never));
    },
  },
  {
    name: 'tiny-lru',
    exactLru: true,
    byteLimit: false,
    load() {
      const { lru } = require('tiny-lru') as {
        lru(max: number): MapLike & { delete(key: string): unknown; has(key: string): boolean };
      };
      return countOnly((max) => {
        const cache = lru(max);
        // tiny-lru's delete returns the cache, not whether the key was there.
        return {
          get: (key) => cache.get(key),
          set: (key, value) => cache.set(key, value),
          delete: (key) => cache.has(key) && (cache.delete(key), true),
          get size() {
            return cache.size;
          },
        };
      });
    },
  },
  {
    name: 'quick-lru',
    exactLru: false,
    byteLimit: false,
    load() {
      const QuickLRU = (require('quick-lru') as { default: Ctor<MapLike> }).default;
      return countOnly((maxSize) => new QuickLRU({ maxSize } as never));
    },
  },
];

export function peerSubject(name: string): Subject {
  const peer = PEERS.find((p) => p.name === name);
  if (peer === undefined) throw new Error(`unknown peer ${name}`);
  return { name, kind: 'peer', exactLru: peer.exactLru, byteLimit: peer.byteLimit, create: peer.load() };
}
