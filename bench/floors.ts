// The physical floors measured beside the engines. For a hit: a Map.get on
// the same model ids in the same order (scattered or Zipf), and an empty call into each engine. For an insert that
// evicts: the key-map work any exact LRU keyed by a Map does (look the new id
// up, delete the evicted one, set the new one), with nothing else.

import { napiNoop, wasmNoop } from 'caro-cache/internal';
import type { Routine } from './sampler.js';
import { ids, lookupOrder, zipfOrder } from './workloads.js';

/** Operations per floor batch, as in the benchmarks. */
export const FLOOR_BATCH = 1024;

/** The floors under each engine's cells, per benchmark. */
export const ENGINE_FLOORS: Record<string, Record<string, string[]>> = {
  get_model_hit: {
    native: ['floor:map-get', 'floor:napi-call'],
    wasm: ['floor:map-get', 'floor:wasm-call'],
    ts: ['floor:map-get'],
  },
  get_model_hit_zipf: {
    native: ['floor:map-get-zipf', 'floor:napi-call'],
    wasm: ['floor:map-get-zipf', 'floor:wasm-call'],
    ts: ['floor:map-get-zipf'],
  },
  add_model: { native: ['floor:map-churn'], wasm: ['floor:map-churn'], ts: ['floor:map-churn'] },
};

/** The floors measured beside a benchmark's engines. */
export function floorsOf(benchmark: string): string[] {
  return [...new Set(Object.values(ENGINE_FLOORS[benchmark] ?? {}).flat())];
}

/** The floors whose cost depends on how many entries there are, measured at each point of a scale series. */
export const SCALED_FLOORS = ['floor:map-get', 'floor:map-get-zipf', 'floor:map-churn'];

/** The routine of floor `name` over `entries` model ids, as in its benchmark. */
export function floorRoutine(name: string, entries = 100): Routine {
  const keys = ids(entries);
  const lookups = lookupOrder(FLOOR_BATCH, keys.length);
  if (name === 'floor:map-get' || name === 'floor:map-get-zipf') {
    const map = new Map(keys.map((key, i) => [key, i]));
    const order = (name === 'floor:map-get' ? lookups : zipfOrder(FLOOR_BATCH, keys.length)).map((i) => keys[i]);
    return {
      run() {
        let sum = 0;
        for (let i = 0; i < order.length; i++) sum += map.get(order[i])!;
        return sum + 1;
      },
    };
  }
  if (name === 'floor:map-churn') {
    // add_model's ids in its order: each id comes round again only after
    // `keys.length` newer ones have evicted it. A ring holds the insertion
    // order, which is the LRU order when nothing is hit.
    const pool = ids(keys.length + FLOOR_BATCH, keys.length);
    const map = new Map(keys.map((key, i) => [key, i]));
    const ring = [...keys];
    let oldest = 0;
    let next = 0;
    return {
      run() {
        let inserted = 0;
        for (let i = 0; i < FLOOR_BATCH; i++) {
          const id = pool[next];
          if (map.get(id) === undefined) {
            map.delete(ring[oldest]);
            map.set(id, i);
            ring[oldest] = id;
            oldest = oldest + 1 === ring.length ? 0 : oldest + 1;
            inserted++;
          }
          next = next + 1 === pool.length ? 0 : next + 1;
        }
        if (map.size !== keys.length) throw new Error('floor:map-churn lost track of its entries');
        return inserted;
      },
    };
  }
  const noop = name === 'floor:napi-call' ? napiNoop() : name === 'floor:wasm-call' ? wasmNoop() : undefined;
  if (noop === undefined) throw new Error(`unknown floor ${name}`);
  return {
    run() {
      for (let i = 0; i < lookups.length; i++) noop(lookups[i]);
      return lookups.length;
    },
  };
}
