import { readFileSync } from 'node:fs';
import type { CoreFactory, LruCore } from './core.js';
import { VICTIM_BATCH } from './core.js';

export interface LruExports {
  memory: WebAssembly.Memory;
  init(maxEntries: number, maxBytes: number): void;
  victimsPointer(): number;
  readsPointer(): number;
  insert(bytes: number): number;
  update(slot: number, bytes: number): void;
  /** Makes the first `n` slots of the reads buffer most recent, in order. */
  touchMany(n: number): void;
  remove(slot: number): void;
  evict(): number;
  sizeOf(slot: number): number;
  totalBytes(): number;
  first(): number;
  after(slot: number): number;
  clear(): void;
  /** An empty call taking a slot, for the benchmarks' floor. */
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
    return new WasmCore(lru);
  };
}

/** Slots of the reads buffer in linear memory; assembly/index.ts reserves as many. */
const READ_BATCH = 256;
const NONE = -1;

/**
 * The adapter over one instance. A hit crosses no boundary: touch() stores the
 * slot in a buffer in linear memory, and the buffered touches are applied in
 * one call when it fills or before anything that reads or changes recency or
 * membership, so the order is exactly that of a call per hit.
 */
class WasmCore implements LruCore {
  readonly #lru: LruExports;
  // Growing linear memory (in insert) detaches views of the old buffer, which
  // then have length 0: re-viewing only then avoids reading memory.buffer,
  // which is slow in V8, on every use.
  #victims: Float64Array;
  #reads: Int32Array;
  #pending = 0;
  // A slot known to be most recent once the pending touches apply, or NONE:
  // touching it again changes nothing, so a run of hits on one entry, or a get
  // right after its set, buffers nothing.
  #head = NONE;

  constructor(lru: LruExports) {
    this.#lru = lru;
    this.#victims = this.#viewVictims();
    this.#reads = this.#viewReads();
  }

  insert(bytes: number): number {
    this.#flush();
    const slot = this.#lru.insert(bytes);
    this.#head = slot;
    return slot;
  }

  update(slot: number, bytes: number): void {
    this.#flush();
    this.#lru.update(slot, bytes);
    this.#head = slot;
  }

  touch(slot: number): void {
    if (slot === this.#head) return;
    if (this.#reads.length === 0) this.#reads = this.#viewReads();
    this.#reads[this.#pending++] = slot;
    this.#head = slot;
    if (this.#pending === READ_BATCH) this.#flush();
  }

  remove(slot: number): void {
    this.#flush();
    this.#lru.remove(slot);
    if (slot === this.#head) this.#head = NONE;
  }

  // Victims are never the most recent slot, so #head stays right.
  evict(): number {
    this.#flush();
    return this.#lru.evict();
  }

  victims(): Float64Array {
    if (this.#victims.length === 0) this.#victims = this.#viewVictims();
    return this.#victims;
  }

  sizeOf(slot: number): number {
    return this.#lru.sizeOf(slot);
  }

  bytes(): number {
    return this.#lru.totalBytes();
  }

  order(): Int32Array {
    this.#flush();
    const lru = this.#lru;
    const slots: number[] = [];
    for (let slot = lru.first(); slot !== NONE; slot = lru.after(slot)) slots.push(slot);
    return Int32Array.from(slots);
  }

  // Forgetting every slot makes the pending touches moot.
  clear(): void {
    this.#pending = 0;
    this.#head = NONE;
    this.#lru.clear();
  }

  // Linear memory cannot be freed explicitly; emptying the core and dropping
  // the last reference to the instance lets the garbage collector take it.
  close(): void {
    this.clear();
  }

  #flush(): void {
    if (this.#pending === 0) return;
    this.#lru.touchMany(this.#pending);
    this.#pending = 0;
  }

  #viewVictims(): Float64Array {
    return new Float64Array(this.#lru.memory.buffer, this.#lru.victimsPointer(), VICTIM_BATCH * 2);
  }

  #viewReads(): Int32Array {
    return new Int32Array(this.#lru.memory.buffer, this.#lru.readsPointer(), READ_BATCH);
  }
}
