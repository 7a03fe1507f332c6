import { readFileSync } from 'node:fs';
import { BufferedEngine } from './buffered.js';
import { checkBatches, OP_BATCH, VICTIM_BATCH, type EngineFactory } from './contract.js';

export interface LruExports {
  memory: WebAssembly.Memory;
  victimBatch(): number;
  opBatch(): number;
  queuePointer(): number;
  opsPointer(): number;
  /** Makes room for slots below `slots`, growing memory if need be. */
  reserve(slots: number): void;
  /** Applies the first `n` operations of the ops buffer (slot: make most recent, ~slot: unlink), in order. */
  applyOps(n: number): void;
  /** Applies the first `n` operations, then writes the oldest slots to the queue; returns how many. */
  refill(n: number): number;
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
  return (maxEntries, maxBytes) => new WasmEngine(instantiateWasm(module), maxEntries, maxBytes);
}

const NONE = -1;

// Views of the instance's buffers, valid until its memory grows.
const viewOps = (lru: LruExports): Int32Array => new Int32Array(lru.memory.buffer, lru.opsPointer(), OP_BATCH);
const viewQueue = (lru: LruExports): Int32Array => new Int32Array(lru.memory.buffer, lru.queuePointer(), VICTIM_BATCH);

/** The WebAssembly engine's side in JavaScript (buffered.ts), over one instance. */
class WasmEngine extends BufferedEngine {
  readonly #lru: LruExports;

  constructor(lru: LruExports, maxEntries: number, maxBytes: number) {
    super(maxEntries, maxBytes, viewOps(lru), viewQueue(lru));
    this.#lru = lru;
  }

  // Only a reservation grows linear memory, which detaches the views of the
  // old buffer: re-viewing only then avoids reading memory.buffer, which is
  // slow in V8, on every use.
  protected reserve(slots: number): void {
    const before = this.#lru.memory.buffer.byteLength;
    this.#lru.reserve(slots);
    if (this.#lru.memory.buffer.byteLength !== before) this.moveBuffers(viewOps(this.#lru), viewQueue(this.#lru));
  }

  protected applyOps(n: number): void {
    this.#lru.applyOps(n);
  }

  protected refill(n: number): number {
    return this.#lru.refill(n);
  }

  protected readOrder(): Int32Array {
    const lru = this.#lru;
    const slots: number[] = [];
    for (let slot = lru.first(); slot !== NONE; slot = lru.after(slot)) slots.push(slot);
    return Int32Array.from(slots);
  }

  protected clearOrder(): void {
    this.#lru.clear();
  }

  // Linear memory cannot be freed explicitly; emptying the engine and dropping
  // the last reference to the instance lets the garbage collector take it.
  close(): void {
    this.clear();
  }
}
