import { readFileSync } from 'node:fs';
import { checkBatches, OP_BATCH, VICTIM_BATCH, type Engine, type EngineFactory } from './contract.js';
import { OpBuffer } from './op-buffer.js';

export interface LruExports {
  memory: WebAssembly.Memory;
  victimBatch(): number;
  opBatch(): number;
  init(maxEntries: number, maxBytes: number): void;
  victimsPointer(): number;
  opsPointer(): number;
  insert(bytes: number): number;
  update(slot: number, bytes: number): void;
  /** Applies the first `n` operations of the ops buffer (slot: touch, ~slot: remove), in order. */
  applyOps(n: number): void;
  evict(): number;
  sizeOf(slot: number): number;
  totalBytes(): number;
  first(): number;
  after(slot: number): number;
  clear(): void;
  /** An empty call taking a slot, for the benchmarks' floor. */
  noop(slot: number): void;
}

/** The compiled module, beside the JavaScript in dist/. */
export const WASM_MODULE = new URL('../../lru.wasm', import.meta.url);

/** Compiles the engine synchronously: the module is about 1 KB and needs no imports. */
export function compileWasm(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(WASM_MODULE));
}

export function instantiateWasm(module: WebAssembly.Module): LruExports {
  return new WebAssembly.Instance(module, {}).exports as unknown as LruExports;
}

/** A factory that gives each cache its own instance, so each has its own linear memory. */
export function loadWasm(): EngineFactory {
  const module = compileWasm();
  const probe = instantiateWasm(module);
  checkBatches('WebAssembly module', probe.victimBatch?.(), probe.opBatch?.());
  return (maxEntries, maxBytes) => {
    const lru = instantiateWasm(module);
    lru.init(maxEntries, maxBytes);
    return new WasmEngine(lru);
  };
}

const NONE = -1;

/** A view of the instance's buffer of operations, valid until its memory grows. */
const viewOps = (lru: LruExports): Int32Array => new Int32Array(lru.memory.buffer, lru.opsPointer(), OP_BATCH);

/**
 * The adapter over one instance, with hits and removals buffered in linear
 * memory (op-buffer.ts) so that neither crosses the boundary.
 */
class WasmEngine extends OpBuffer implements Engine {
  readonly #lru: LruExports;
  // Only insert grows linear memory, which detaches the views of the old
  // buffer (their length becomes 0): re-viewing only then avoids reading
  // memory.buffer, which is slow in V8, on every use, and a check on every hit.
  #victims: Float64Array;

  constructor(lru: LruExports) {
    super(viewOps(lru));
    this.#lru = lru;
    this.#victims = this.#viewVictims();
  }

  protected applyOps(n: number): void {
    this.#lru.applyOps(n);
  }

  insert(bytes: number): number {
    this.flushOps();
    const slot = this.#lru.insert(bytes);
    if (this.#victims.length === 0) {
      this.#victims = this.#viewVictims();
      this.moveOps(viewOps(this.#lru));
    }
    this.madeRecent(slot);
    return slot;
  }

  update(slot: number, bytes: number): void {
    this.flushOps();
    this.#lru.update(slot, bytes);
    this.madeRecent(slot);
  }

  evict(): number {
    this.flushOps();
    return this.#lru.evict();
  }

  victims(): Float64Array {
    return this.#victims;
  }

  sizeOf(slot: number): number {
    return this.#lru.sizeOf(slot);
  }

  bytes(): number {
    this.flushOps();
    return this.#lru.totalBytes();
  }

  order(): Int32Array {
    this.flushOps();
    const lru = this.#lru;
    const slots: number[] = [];
    for (let slot = lru.first(); slot !== NONE; slot = lru.after(slot)) slots.push(slot);
    return Int32Array.from(slots);
  }

  clear(): void {
    this.forgetOps();
    this.#lru.clear();
  }

  // Linear memory cannot be freed explicitly; emptying the engine and dropping
  // the last reference to the instance lets the garbage collector take it.
  close(): void {
    this.clear();
  }

  #viewVictims(): Float64Array {
    return new Float64Array(this.#lru.memory.buffer, this.#lru.victimsPointer(), VICTIM_BATCH * 2);
  }
}
