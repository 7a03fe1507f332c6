import { readFileSync } from 'node:fs';
import type { CoreFactory, LruCore } from './core.js';
import { VICTIM_BATCH } from './core.js';

export interface LruExports {
  memory: WebAssembly.Memory;
  init(maxEntries: number, maxBytes: number): void;
  victimsPointer(): number;
  insert(bytes: number): number;
  update(slot: number, bytes: number): void;
  touch(slot: number): void;
  remove(slot: number): void;
  evict(): number;
  sizeOf(slot: number): number;
  totalBytes(): number;
  first(): number;
  after(slot: number): number;
  clear(): void;
  /** An empty call shaped like touch(slot), for the benchmarks' floor. */
  noop(slot: number): void;
}

/** Compiles the engine synchronously: the module is about 1 KB and needs no imports. */
export function compileWasm(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL('../lru.wasm', import.meta.url)));
}

export function instantiateWasm(module: WebAssembly.Module): LruExports {
  return new WebAssembly.Instance(module, {}).exports as unknown as LruExports;
}

/** A factory that gives each cache its own instance, so each has its own linear memory. */
export function loadWasm(): CoreFactory {
  const module = compileWasm();
  return (maxEntries, maxBytes) => {
    const lru = instantiateWasm(module);
    lru.init(maxEntries, maxBytes);
    return wasmCore(lru);
  };
}

function wasmCore(lru: LruExports): LruCore {
  const pointer = lru.victimsPointer();
  // Growing linear memory detaches views of the old buffer, so re-view on demand.
  let victims = new Float64Array(lru.memory.buffer, pointer, VICTIM_BATCH * 2);
  return {
    insert: lru.insert,
    update: lru.update,
    touch: lru.touch,
    remove: lru.remove,
    evict: lru.evict,
    sizeOf: lru.sizeOf,
    bytes: lru.totalBytes,
    clear: lru.clear,
    victims() {
      if (victims.buffer !== lru.memory.buffer) {
        victims = new Float64Array(lru.memory.buffer, pointer, VICTIM_BATCH * 2);
      }
      return victims;
    },
    order() {
      const slots: number[] = [];
      for (let slot = lru.first(); slot !== -1; slot = lru.after(slot)) slots.push(slot);
      return Int32Array.from(slots);
    },
    // Linear memory cannot be freed explicitly; emptying the core and dropping
    // the last reference to the instance lets the garbage collector take it.
    close: lru.clear,
  };
}
