import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CoreFactory, LruCore } from './core.js';
import { VICTIM_BATCH } from './core.js';

interface NativeHandle {
  insert(bytes: number): number;
  update(slot: number, bytes: number): void;
  touch(slot: number): void;
  remove(slot: number): void;
  evict(): number;
  sizeOf(slot: number): number;
  bytes(): number;
  order(): Int32Array;
  clear(): void;
  close(): void;
}

export interface NativeAddon {
  victimBatch: number;
  /** An empty call shaped like touch(slot), for the benchmarks' floor. */
  noop(slot: number): void;
  /** Slot storage held by every native cache in the process, which V8's counters do not see. */
  memoryBytes(): number;
  create(maxEntries: number, maxBytes: number, victims: Float64Array): NativeHandle;
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
  if (addon.victimBatch !== VICTIM_BATCH) {
    throw new Error(`the addon reports victim batches of ${addon.victimBatch}, expected ${VICTIM_BATCH}; rebuild it`);
  }
  return (maxEntries, maxBytes) => nativeCore(addon, maxEntries, maxBytes);
}

function nativeCore(addon: NativeAddon, maxEntries: number, maxBytes: number): LruCore {
  // The addon writes victims straight into this buffer, so evict() returns only a count.
  const victims = new Float64Array(VICTIM_BATCH * 2);
  const handle = addon.create(maxEntries, maxBytes, victims);
  // The handle's functions are bound to their core in C, so they are used as they are.
  return {
    insert: handle.insert,
    update: handle.update,
    touch: handle.touch,
    remove: handle.remove,
    evict: handle.evict,
    sizeOf: handle.sizeOf,
    bytes: handle.bytes,
    order: handle.order,
    clear: handle.clear,
    // A closure over the handle keeps it reachable as long as the core is:
    // its finalizer frees the native memory.
    close: () => handle.close(),
    victims: () => victims,
  };
}
