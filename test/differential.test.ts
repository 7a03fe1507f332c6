import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCache, type Cache } from 'caro-cache';
import { ENGINES } from './engines.js';
import { createRng, ReferenceLru, type Limits } from './reference.js';

const OPERATIONS = 100_000;
const SEED = Number(process.env.CARO_CACHE_SEED ?? 0x5eed);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

interface Configuration extends Limits {
  name: string;
  keys: number;
  /** Draws an entry size. */
  size(random: () => number): number;
  /** The share of operations that are gets (default 0.35). */
  gets?: number;
  /** Compare the whole order every this many operations (default 97, and whenever the cache is small). */
  orderEvery?: number;
}

const configurations: Configuration[] = [
  { name: 'maxEntries 1', maxEntries: 1, maxBytes: Infinity, keys: 4, size: () => 0 },
  { name: 'maxEntries 16', maxEntries: 16, maxBytes: Infinity, keys: 40, size: (r) => Math.floor(r() * 100) },
  { name: 'maxBytes 0', maxEntries: Infinity, maxBytes: 0, keys: 20, size: (r) => (r() < 0.9 ? 0 : 1) },
  { name: 'maxBytes 1000', maxEntries: Infinity, maxBytes: 1000, keys: 200, size: (r) => Math.floor(r() * 120) },
  { name: 'both limits', maxEntries: 64, maxBytes: 5000, keys: 150, size: (r) => Math.floor(r() * 200) },
  {
    // Mostly empty entries with the odd one the size of the cache: one set evicts hundreds, past a victim batch.
    name: 'mass eviction',
    maxEntries: Infinity,
    maxBytes: 1_000_000,
    keys: 2000,
    size: (r) => (r() < 0.002 ? 1_000_000 : Math.floor(r() * 4)),
  },
  {
    name: 'sizes near 2^53',
    maxEntries: Infinity,
    maxBytes: MAX_SAFE,
    keys: 12,
    size: (r) => MAX_SAFE - Math.floor(r() * 2 ** 52),
  },
  {
    // Long runs of hits with nothing else between: the engines that buffer touches fill their buffer many times over.
    name: 'mostly hits',
    maxEntries: 300,
    maxBytes: Infinity,
    keys: 400,
    size: () => 1,
    gets: 0.998,
    orderEvery: 4999,
  },
  {
    // Twice the keys the cache holds, so that it stays full despite the deletes and a set of a new key evicts,
    // while most hits and deletes take one of the 256 oldest, which the native and WASM engines hold in their
    // victim queue: the queue loses entries between evictions all the time and runs dry often.
    name: 'victim queue churn',
    maxEntries: 300,
    maxBytes: Infinity,
    keys: 600,
    size: () => 1,
    gets: 0.5,
  },
  {
    // The same by bytes: a set evicts none, one or several of the oldest.
    name: 'victim queue churn by bytes',
    maxEntries: Infinity,
    maxBytes: 3000,
    keys: 600,
    size: (r) => Math.floor(r() * 21),
  },
  {
    name: 'no limits, huge sizes',
    maxEntries: Infinity,
    maxBytes: Infinity,
    keys: 12,
    size: (r) => Math.floor(r() * 2 ** 51),
  },
];

function run(backend: (typeof ENGINES)[number], config: Configuration, seed: number): void {
  const random = createRng(seed);
  const model = new ReferenceLru<number>(config);
  const evicted: [string, number, number][] = [];
  const cache: Cache<number> = createCache<number>({
    backend,
    maxEntries: config.maxEntries,
    maxBytes: config.maxBytes,
    onEvict: (key, value, bytes) => evicted.push([key, value, bytes]),
  });
  const where = (i: number, op: string) => `${backend}, ${config.name}, seed ${seed}, operation ${i} (${op})`;
  try {
    for (let i = 0; i < OPERATIONS; i++) {
      const key = `org-${Math.floor(random() * config.keys)}/model`;
      // Gets take the share asked for; the other operations keep their proportions.
      const gets = config.gets ?? 0.35;
      const drawn = random();
      const pick = drawn < gets ? (drawn / gets) * 0.35 : 0.35 + ((drawn - gets) / (1 - gets)) * 0.65;
      let op: string;
      if (pick < 0.35) {
        op = `get ${key}`;
        assert.equal(cache.get(key), model.get(key), where(i, op));
      } else if (pick < 0.4) {
        op = `peek ${key}`;
        assert.equal(cache.peek(key), model.peek(key), where(i, op));
      } else if (pick < 0.45) {
        op = `has ${key}`;
        assert.equal(cache.has(key), model.has(key), where(i, op));
      } else if (pick < 0.85) {
        const bytes = config.size(random);
        op = `set ${key} ${bytes}`;
        if (model.set(key, i, bytes)) {
          cache.set(key, i, bytes);
        } else {
          const before = [...cache.entries()];
          assert.throws(() => cache.set(key, i, bytes), RangeError, where(i, op));
          assert.deepEqual([...cache.entries()], before, where(i, op));
        }
      } else if (pick < 0.9995) {
        op = `delete ${key}`;
        assert.equal(cache.delete(key), model.delete(key), where(i, op));
      } else {
        op = 'clear';
        cache.clear();
        model.clear();
      }
      assert.equal(cache.size, model.size, where(i, op));
      assert.equal(cache.bytes, model.bytes, where(i, op));
      assert.equal(evicted.length, model.evicted.length, where(i, op));
      if (model.size <= 32 || i % (config.orderEvery ?? 97) === 0)
        assert.deepEqual([...cache.keys()], model.keys(), where(i, op));
    }
    assert.deepEqual(evicted, model.evicted);
    assert.deepEqual(cache.stats(), model.counters);
  } finally {
    cache.close();
  }
}

for (const backend of ENGINES) {
  describe(`differential against the reference (${backend})`, () => {
    configurations.forEach((config, index) => {
      test(`${OPERATIONS} random operations, ${config.name}`, () => run(backend, config, SEED + index));
    });
  });
}
