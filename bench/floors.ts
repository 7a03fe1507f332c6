// The physical floors of a hit, measured beside the engines: a Map.get on the
// same model ids, and an empty call into each engine shaped like touch(slot).

import { loadAddon } from '../src/native-core.js';
import { compileWasm, instantiateWasm } from '../src/wasm-core.js';
import type { Routine } from './sampler.js';
import { lookupOrder, modelId } from './workloads.js';

/** Operations per floor batch, as in the benchmarks. */
export const FLOOR_BATCH = 1024;

export const FLOOR_NAMES = ['floor:map-get', 'floor:napi-call', 'floor:wasm-call'];

export function floorRoutine(name: string): Routine {
  const keys = Array.from({ length: 100 }, (_, i) => modelId(i));
  const lookups = lookupOrder(FLOOR_BATCH, keys.length);
  if (name === 'floor:map-get') {
    const map = new Map(keys.map((key, i) => [key, i]));
    const order = lookups.map((i) => keys[i]);
    return {
      run() {
        let sum = 0;
        for (let i = 0; i < order.length; i++) sum += map.get(order[i])!;
        return sum + 1;
      },
    };
  }
  const noop =
    name === 'floor:napi-call' ? loadAddon().noop : name === 'floor:wasm-call' ? instantiateWasm(compileWasm()).noop : undefined;
  if (noop === undefined) throw new Error(`unknown floor ${name}`);
  return {
    run() {
      for (let i = 0; i < lookups.length; i++) noop(lookups[i]);
      return lookups.length;
    },
  };
}
