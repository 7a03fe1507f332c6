// The contract between the public cache and an engine. Keys stay on the
// JavaScript side (a Map from key to slot); an engine sees only slot numbers
// and sizes, and owns the recency order, the byte total and the choice of
// victims. Every engine implements the same algorithm, so results agree to the
// entry. (The engines across a boundary keep all but the order on the
// TypeScript side, buffered.ts, behind this same contract.)

/**
 * Victims reported per `evict()` call, the caller calling again while it gets
 * a full batch; also the oldest slots an engine across a boundary reports per
 * refill of its victim queue (buffered.ts).
 */
export const VICTIM_BATCH = 256;

/** Operations an engine across a boundary is sent per call (buffered.ts). */
export const OP_BATCH = 256;

/**
 * Throws unless an engine built in another language batches as this side
 * does: a mismatch would read victims or operations past the buffers' ends.
 */
export function checkBatches(engine: string, victimBatch: unknown, opBatch: unknown): void {
  if (victimBatch !== VICTIM_BATCH || opBatch !== OP_BATCH) {
    throw new Error(
      `the ${engine} batches ${String(victimBatch)} victims and ${String(opBatch)} operations, expected ${VICTIM_BATCH} and ${OP_BATCH}; rebuild it`,
    );
  }
}

/**
 * A set calls insert() or update() and then evict() until it returns less
 * than a full batch, with no other call in between (except after an insert
 * that recycled a slot, below); an engine may therefore evict within
 * insert() or update() already, as long as evict() reports it.
 */
export interface Engine {
  /**
   * Links a new most-recent slot of `bytes` and returns it; its evictions are
   * reported by `evict()`. When evicting the least recent entry alone makes
   * room, an engine may evict it here and hand its slot back for the new
   * entry (as an array-backed LRU reuses its tail): `victims()` then holds
   * that one [slot, bytes] pair, the caller (whose key for that slot is
   * still the evicted entry's) knows it by that, and no evict() follows.
   */
  insert(bytes: number): number;
  /** Gives `slot` a new size and makes it most recent. */
  update(slot: number, bytes: number): void;
  /** Makes `slot` most recent. */
  touch(slot: number): void;
  /** Unlinks `slot` and frees it for reuse. */
  remove(slot: number): void;
  /**
   * Evicts least-recent slots, never the most recent one, while a limit is
   * exceeded, at most VICTIM_BATCH of them; returns how many.
   */
  evict(): number;
  /** The last evict()'s victims as [slot, bytes] pairs; valid until the next call into the engine. */
  victims(): Float64Array;
  /** The size of a live slot. */
  sizeOf(slot: number): number;
  /** The total size of all slots. */
  bytes(): number;
  /** Live slots from most to least recent. */
  order(): Int32Array;
  clear(): void;
  close(): void;
}

/** Makes one cache's engine. */
export type EngineFactory = (maxEntries: number, maxBytes: number) => Engine;
