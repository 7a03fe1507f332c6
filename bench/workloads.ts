// The cache benchmarks, identical on every subject: same keys, same
// order, same sizes. Each builds its fixture, returns a routine for the
// sampler, and checks afterwards that it measured what it claims.

import type { Routine } from './sampler.js';
import type { Limits, Store, Subject } from './subjects.js';
import type { Target } from './summary.js';

export const MiB = 2 ** 20;
/** Operations per timed batch: enough to amortise the timer, few enough for many samples. */
const BATCH = 1024;

export interface Workload {
  routine: Routine;
  /** Units of the target (operations or evicted entries) per batch. */
  unitsPerBatch: number;
  /** Throws if the run did not do what the benchmark claims. */
  verify(sink: number): void;
}

export interface Benchmark {
  id: string;
  description: string;
  target: Target;
  /** The subjects' features this benchmark needs. */
  needsByteLimit: boolean;
  build(subject: Subject, entries: number): Workload;
}

/** Model-like ids, as in the original work package. */
export const modelId = (i: number): string => `org-${i % 997}/model-${i}-Instruct`;

/** A fixed xorshift sequence, so every subject sees the same scattered order. */
function scatter(): () => number {
  let x = 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** `count` lookups spread over indexes below `range`. */
export function lookupOrder(count: number, range: number): number[] {
  const next = scatter();
  return Array.from({ length: count }, () => next() % range);
}

/**
 * `count` lookups over indexes below `range` drawn from a Zipf law with
 * s = 1, the shape of model use: the rank-r model (from 0) is asked for in
 * proportion to 1/(r + 1), so a few take most hits. A fixed shuffle maps
 * ranks to indexes, so the popular models are not simply the first added.
 */
export function zipfOrder(count: number, range: number): number[] {
  const cumulative = new Float64Array(range);
  for (let r = 0, sum = 0; r < range; r++) cumulative[r] = sum += 1 / (r + 1);
  const total = cumulative[range - 1];
  const index = shuffled(Array.from({ length: range }, (_, i) => i));
  const next = scatter();
  return Array.from({ length: count }, () => {
    const u = (next() / 2 ** 32) * total;
    let lo = 0;
    let hi = range - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] <= u) lo = mid + 1;
      else hi = mid;
    }
    return index[lo];
  });
}

/** The orders a hit benchmark asks in: scattered evenly, or Zipf-skewed. */
export const HIT_ORDERS = { get_model_hit: lookupOrder, get_model_hit_zipf: zipfOrder };

function shuffled<T>(items: readonly T[]): T[] {
  const next = scatter();
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function filled(subject: Subject, limits: Limits, ids: string[]): Store {
  const store = subject.create(limits);
  ids.forEach((id, i) => store.set(id, i, MiB));
  if (store.size !== ids.length)
    throw new Error(`${subject.name}: the fixture holds ${store.size} of ${ids.length} models`);
  return store;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark check failed: ${message}`);
}

/**
 * `count` model ids from the `from`th on, as flat strings. A template literal gives V8 cons
 * strings whose hashes and layout differ from ids a user reads from JSON, a CLI or a config;
 * the JSON round trip gives fresh flat strings, as parsed input is.
 */
export const ids = (count: number, from = 0): string[] =>
  JSON.parse(JSON.stringify(Array.from({ length: count }, (_, i) => modelId(from + i)))) as string[];

/** A hit benchmark: lookups of present models, in the order HIT_ORDERS names for `id`. */
function hitBenchmark(id: keyof typeof HIT_ORDERS, description: string): Benchmark {
  return {
    id,
    description,
    // The original work package's target for a cache hit; the floor is a Map.get (~17 ns here).
    target: { unit: 'op', lowNs: 10, highNs: 100, source: 'original work package: a hit in 10-100 ns' },
    needsByteLimit: false,
    build(subject, entries) {
      const present = ids(entries);
      const store = filled(subject, { entries, bytes: entries * MiB }, present);
      const lookups = HIT_ORDERS[id](BATCH, entries).map((i) => present[i]);
      let misses = 0;
      return {
        unitsPerBatch: BATCH,
        routine: {
          run() {
            let found = 0;
            for (let i = 0; i < lookups.length; i++) {
              const value = store.get(lookups[i]);
              if (value === undefined) misses++;
              else found++;
            }
            return found;
          },
        },
        verify(sink) {
          check(misses === 0, `${misses} lookups missed`);
          check(sink > 0 && sink % BATCH === 0, 'every lookup was a hit');
          check(store.size === entries, 'the cache kept every model');
        },
      };
    },
  };
}

export const BENCHMARKS: Benchmark[] = [
  hitBenchmark('get_model_hit', 'look up a present model in a warm cache of 1 MiB models, in a scattered order'),
  hitBenchmark(
    'get_model_hit_zipf',
    'look up a present model in a warm cache of 1 MiB models, Zipf-skewed (s = 1) as model use is',
  ),
  {
    id: 'add_model',
    description: 'insert a new 1 MiB model into a cache full by bytes: one eviction each',
    // Target from the original work package: an insert with its eviction under 1 us.
    target: { unit: 'op', highNs: 1000, source: 'original work package: an eviction under 1 us' },
    needsByteLimit: false,
    build(subject, entries) {
      // Each id comes round again only after `entries` newer inserts have evicted it.
      const pool = ids(entries + BATCH, entries);
      const store = filled(subject, { entries, bytes: entries * MiB }, ids(entries));
      let next = 0;
      let inserted = 0;
      return {
        unitsPerBatch: BATCH,
        routine: {
          run() {
            for (let i = 0; i < BATCH; i++) {
              store.set(pool[next], i, MiB);
              next = next + 1 === pool.length ? 0 : next + 1;
            }
            inserted += BATCH;
            return store.size;
          },
        },
        verify() {
          check(
            store.size === entries || !subject.exactLru,
            `the cache holds ${store.size}, not ${entries}, after ${inserted} inserts`,
          );
          check(store.get(pool[(next + pool.length - 1) % pool.length]) !== undefined, 'the newest model is present');
          if (subject.exactLru) check(store.get(pool[next]) === undefined, 'the next id to insert was evicted');
        },
      };
    },
  },
  {
    id: 'remove_model',
    description: 'delete a present model; the refill runs outside the timed region',
    // Target from the original work package: removal under 1 us.
    target: { unit: 'op', highNs: 1000, source: 'original work package: a removal under 1 us' },
    needsByteLimit: false,
    build(subject, entries) {
      const present = ids(entries);
      const store = filled(subject, { entries, bytes: entries * MiB }, present);
      // Each batch deletes up to BATCH models in a scattered order (the whole cache at the
      // small sizes); the refill is untimed. The cap keeps a batch short at 10^6 entries.
      const victims = shuffled(present).slice(0, BATCH);
      let wrongDeletes = 0;
      return {
        unitsPerBatch: victims.length,
        routine: {
          setup() {
            for (let i = 0; i < victims.length; i++) store.set(victims[i], i, MiB);
          },
          run() {
            let removed = 0;
            for (let i = 0; i < victims.length; i++) {
              if (store.delete(victims[i])) removed++;
              else wrongDeletes++;
            }
            return removed;
          },
        },
        verify(sink) {
          check(wrongDeletes === 0, `${wrongDeletes} deletes found nothing`);
          check(sink > 0 && sink % victims.length === 0, 'every delete removed a model');
          check(store.size === entries - victims.length, 'the batch removed exactly its victims');
          check(
            victims.every((id) => store.get(id) === undefined),
            'no victim is left',
          );
        },
      };
    },
  },
  {
    id: 'lru_eviction_full',
    description:
      'add a 5 MiB model to a full 50 MiB cache of 1 MiB models: it evicts exactly 5 (figures per evicted entry; per insert is 5x)',
    // Target from the original work package: under 1 us per eviction.
    target: { unit: 'evicted entry', highNs: 1000, source: 'original work package: an eviction under 1 us' },
    needsByteLimit: true,
    build(subject) {
      // Many independent caches per batch, so one batch lasts long enough to time precisely.
      const caches = 64;
      const models = 50;
      const bigId = 'org-big/model-5MiB-Instruct';
      const small = ids(models);
      const stores = Array.from({ length: caches }, () =>
        filled(subject, { entries: models, bytes: models * MiB }, small),
      );
      // Batch r evicts the five oldest models, small[5r % 50] onwards.
      const evictedBy = (round: number, i: number) => small[(5 * round + i) % models];
      let rounds = 0;
      return {
        unitsPerBatch: caches * 5,
        routine: {
          setup() {
            // Undo the last batch: drop the big model, put back the five it evicted (now the newest).
            if (rounds === 0) return;
            for (const store of stores) {
              store.delete(bigId);
              for (let i = 0; i < 5; i++) store.set(evictedBy(rounds - 1, i), i, MiB);
            }
          },
          run() {
            for (let i = 0; i < caches; i++) stores[i].set(bigId, i, 5 * MiB);
            rounds++;
            return caches;
          },
        },
        verify() {
          for (const store of stores) {
            check(store.size === models - 4, `after the insert a cache holds ${store.size} models, not ${models - 4}`);
            check(store.get(bigId) !== undefined, 'the 5 MiB model is present');
            for (let i = 0; i < 5; i++)
              check(store.get(evictedBy(rounds - 1, i)) === undefined, 'the five oldest were evicted');
            check(store.get(evictedBy(rounds, 0)) !== undefined, 'the sixth oldest was kept');
          }
        },
      };
    },
  },
];
