import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CoreFactory, LruCore } from './core.js';
import { READ_BATCH, VICTIM_BATCH } from './core.js';
import { TouchBuffer } from './touch-buffer.js';

/** A cache in the addon: an opaque External every function takes first. */
type Handle = { readonly __brand: 'caro-cache handle' };

export interface NativeAddon {
  victimBatch: number;
  readBatch: number;
  create(maxEntries: number, maxBytes: number, victims: Float64Array, reads: Int32Array): Handle;
  insert(handle: Handle, bytes: number): number;
  update(handle: Handle, slot: number, bytes: number): void;
  /** Applies the first `n` touches written to the `reads` array, in order. */
  touchMany(handle: Handle, n: number): void;
  remove(handle: Handle, slot: number): void;
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
export const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Loads the Node-API addon (a prebuilt binary or a local build); throws when none fits. */
export function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  const load = require('node-gyp-build') as (dir: string) => NativeAddon;
  return load(packageRoot);
}

export function loadNative(): CoreFactory {
  const addon = loadAddon();
  if (addon.victimBatch !== VICTIM_BATCH || addon.readBatch !== READ_BATCH) {
    throw new Error(
      `the addon batches ${addon.victimBatch} victims and ${addon.readBatch} touches, expected ${VICTIM_BATCH} and ${READ_BATCH}; rebuild it`,
    );
  }
  return (maxEntries, maxBytes) => new NativeCore(addon, maxEntries, maxBytes);
}

/**
 * The native engine's side in JavaScript: the addon's functions on this
 * cache's handle, with hits buffered (touch-buffer.ts) since a Node-API call
 * costs more than a hit.
 */
class NativeCore extends TouchBuffer implements LruCore {
  readonly #addon: NativeAddon;
  readonly #handle: Handle;
  // The addon writes victims straight into this buffer, so evict() returns only a count.
  readonly #victims = new Float64Array(VICTIM_BATCH * 2);
  readonly #reads: Int32Array;

  constructor(addon: NativeAddon, maxEntries: number, maxBytes: number) {
    const reads = new Int32Array(READ_BATCH);
    super(reads);
    this.#reads = reads;
    this.#addon = addon;
    this.#handle = addon.create(maxEntries, maxBytes, this.#victims, reads);
  }

  protected applyTouches(n: number): void {
    this.#addon.touchMany(this.#handle, n);
  }

  // Memory the addon reads is never detached by the cache.
  protected viewTouches(): Int32Array {
    return this.#reads;
  }

  insert(bytes: number): number {
    this.flushTouches();
    const slot = this.#addon.insert(this.#handle, bytes);
    this.madeRecent(slot);
    return slot;
  }

  update(slot: number, bytes: number): void {
    this.flushTouches();
    this.#addon.update(this.#handle, slot, bytes);
    this.madeRecent(slot);
  }

  remove(slot: number): void {
    this.flushTouches();
    this.#addon.remove(this.#handle, slot);
    this.removed(slot);
  }

  evict(): number {
    this.flushTouches();
    return this.#addon.evict(this.#handle);
  }

  victims(): Float64Array {
    return this.#victims;
  }

  sizeOf(slot: number): number {
    return this.#addon.sizeOf(this.#handle, slot);
  }

  bytes(): number {
    return this.#addon.bytes(this.#handle);
  }

  order(): Int32Array {
    this.flushTouches();
    return this.#addon.order(this.#handle);
  }

  clear(): void {
    this.forgetTouches();
    this.#addon.clear(this.#handle);
  }

  close(): void {
    this.forgetTouches();
    this.#addon.close(this.#handle);
  }
}
