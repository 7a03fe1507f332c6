import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BufferedEngine } from './buffered.js';
import { checkBatches, OP_BATCH, VICTIM_BATCH, type EngineFactory } from './contract.js';

/** A cache in the addon: an opaque External every function takes first. */
type Handle = { readonly __brand: 'caro-cache handle' };

export interface NativeAddon {
  victimBatch: number;
  opBatch: number;
  create(queue: Int32Array, ops: Int32Array): Handle;
  /** Makes room for slots below `slots`. */
  reserve(handle: Handle, slots: number): void;
  /** Applies the first `n` operations written to the `ops` array (slot: make most recent, ~slot: unlink), in order. */
  applyOps(handle: Handle, n: number): void;
  /** Applies the first `n` operations, then writes the oldest slots to the `queue` array; returns how many. */
  refill(handle: Handle, n: number): number;
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

/** The native engine's side in JavaScript (buffered.ts): the addon's functions on this cache's handle. */
class NativeEngine extends BufferedEngine {
  readonly #addon: NativeAddon;
  readonly #handle: Handle;

  constructor(addon: NativeAddon, maxEntries: number, maxBytes: number) {
    const ops = new Int32Array(OP_BATCH);
    const queue = new Int32Array(VICTIM_BATCH);
    super(maxEntries, maxBytes, ops, queue);
    this.#addon = addon;
    this.#handle = addon.create(queue, ops);
  }

  protected reserve(slots: number): void {
    this.#addon.reserve(this.#handle, slots);
  }

  protected applyOps(n: number): void {
    this.#addon.applyOps(this.#handle, n);
  }

  protected refill(n: number): number {
    return this.#addon.refill(this.#handle, n);
  }

  protected readOrder(): Int32Array {
    return this.#addon.order(this.#handle);
  }

  protected clearOrder(): void {
    this.#addon.clear(this.#handle);
  }

  close(): void {
    this.forget();
    this.#addon.close(this.#handle);
  }
}
