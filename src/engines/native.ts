import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkBatches, OP_BATCH, VICTIM_BATCH, type Engine, type EngineFactory } from './contract.js';
import { OpBuffer } from './op-buffer.js';

/** A cache in the addon: an opaque External every function takes first. */
type Handle = { readonly __brand: 'caro-cache handle' };

export interface NativeAddon {
  victimBatch: number;
  opBatch: number;
  create(maxEntries: number, maxBytes: number, victims: Float64Array, ops: Int32Array): Handle;
  /** Inserts and evicts in one call: returns slot + 2^32 * (victims written to the victims array). */
  insert(handle: Handle, bytes: number): number;
  /** Updates and evicts in one call: returns the victims written to the victims array. */
  update(handle: Handle, slot: number, bytes: number): number;
  /** Applies the first `n` operations written to the `ops` array (slot: touch, ~slot: remove), in order. */
  applyOps(handle: Handle, n: number): void;
  evict(handle: Handle): number;
  sizeOf(handle: Handle, slot: number): number;
  bytes(handle: Handle): number;
  order(handle: Handle): Int32Array;
  clear(handle: Handle): void;
  close(handle: Handle): void;
  /** An empty call with one number argument, for the benchmarks' floor. */
  noop(slot: number): void;
  /** Slot storage held by every native cache in the process, which V8's counters do not see. */
  memoryBytes(): number;
}

/** The package root, where node-gyp-build looks in `prebuilds/` and `build/`. */
const packageRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Loads the Node-API addon (a prebuilt binary or a local build); throws when none fits. */
export function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  const load = require('node-gyp-build') as (dir: string) => NativeAddon;
  return load(packageRoot);
}

export function loadNative(): EngineFactory {
  const addon = loadAddon();
  checkBatches('addon', addon.victimBatch, addon.opBatch);
  return (maxEntries, maxBytes) => new NativeEngine(addon, maxEntries, maxBytes);
}

/**
 * The native engine's side in JavaScript: the addon's functions on this
 * cache's handle, with hits and removals buffered (op-buffer.ts) since a
 * Node-API call costs more than either.
 */
class NativeEngine extends OpBuffer implements Engine {
  readonly #addon: NativeAddon;
  readonly #handle: Handle;
  // The addon writes victims straight into this buffer, so evict() returns only a count.
  readonly #victims = new Float64Array(VICTIM_BATCH * 2);
  // Victims the last insert or update already evicted, for the evict() that
  // follows to report without a call of its own; -1 when there are none.
  #evicted = -1;

  constructor(addon: NativeAddon, maxEntries: number, maxBytes: number) {
    const ops = new Int32Array(OP_BATCH);
    super(ops);
    this.#addon = addon;
    this.#handle = addon.create(maxEntries, maxBytes, this.#victims, ops);
  }

  protected applyOps(n: number): void {
    this.#addon.applyOps(this.#handle, n);
  }

  insert(bytes: number): number {
    this.flushOps();
    const result = this.#addon.insert(this.#handle, bytes);
    // ToUint32 keeps the low 32 bits: the slot.
    const slot = result >>> 0;
    this.#evicted = (result - slot) / 2 ** 32;
    this.madeRecent(slot);
    return slot;
  }

  update(slot: number, bytes: number): void {
    this.flushOps();
    this.#evicted = this.#addon.update(this.#handle, slot, bytes);
    this.madeRecent(slot);
  }

  evict(): number {
    const evicted = this.#evicted;
    if (evicted >= 0) {
      this.#evicted = -1;
      return evicted;
    }
    this.flushOps();
    return this.#addon.evict(this.#handle);
  }

  victims(): Float64Array {
    return this.#victims;
  }

  sizeOf(slot: number): number {
    return this.#addon.sizeOf(this.#handle, slot);
  }

  bytes(): number {
    this.flushOps();
    return this.#addon.bytes(this.#handle);
  }

  order(): Int32Array {
    this.flushOps();
    return this.#addon.order(this.#handle);
  }

  clear(): void {
    this.forgetOps();
    this.#evicted = -1;
    this.#addon.clear(this.#handle);
  }

  close(): void {
    this.forgetOps();
    this.#evicted = -1;
    this.#addon.close(this.#handle);
  }
}
