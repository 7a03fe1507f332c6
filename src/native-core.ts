import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CoreFactory, LruCore } from './core.js';
import { VICTIM_BATCH } from './core.js';

/** Touches buffered before one call applies them. */
const READ_BATCH = 256;

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
 * The native engine's side in JavaScript. A hit is the commonest operation
 * and a Node-API call costs more than the whole of it, so touch() stores the
 * slot in an Int32Array the addon reads, and the buffered touches are applied
 * in one call when it fills or before anything that reads or changes recency
 * or membership: the order is exactly that of a call per hit.
 */
class NativeCore implements LruCore {
  readonly #addon: NativeAddon;
  readonly #handle: Handle;
  // The addon writes victims straight into this buffer, so evict() returns only a count.
  readonly #victims = new Float64Array(VICTIM_BATCH * 2);
  readonly #reads = new Int32Array(READ_BATCH);
  #pending = 0;
  // A slot known to be most recent once the pending touches apply, or -1:
  // touching it again changes nothing, so a run of hits on one entry, or a get
  // right after its set, buffers nothing.
  #head = -1;

  constructor(addon: NativeAddon, maxEntries: number, maxBytes: number) {
    this.#addon = addon;
    this.#handle = addon.create(maxEntries, maxBytes, this.#victims, this.#reads);
  }

  insert(bytes: number): number {
    this.#flush();
    const slot = this.#addon.insert(this.#handle, bytes);
    this.#head = slot;
    return slot;
  }

  update(slot: number, bytes: number): void {
    this.#flush();
    this.#addon.update(this.#handle, slot, bytes);
    this.#head = slot;
  }

  touch(slot: number): void {
    if (slot === this.#head) return;
    this.#reads[this.#pending++] = slot;
    this.#head = slot;
    if (this.#pending === READ_BATCH) this.#flush();
  }

  remove(slot: number): void {
    this.#flush();
    this.#addon.remove(this.#handle, slot);
    if (slot === this.#head) this.#head = -1;
  }

  // Victims are never the most recent slot, so #head stays right.
  evict(): number {
    this.#flush();
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
    this.#flush();
    return this.#addon.order(this.#handle);
  }

  // Forgetting every slot makes the pending touches moot.
  clear(): void {
    this.#pending = 0;
    this.#head = -1;
    this.#addon.clear(this.#handle);
  }

  close(): void {
    this.#pending = 0;
    this.#head = -1;
    this.#addon.close(this.#handle);
  }

  #flush(): void {
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    this.#addon.touchMany(this.#handle, n);
  }
}
