import { OP_BATCH, VICTIM_BATCH, type Engine } from './contract.js';

const NONE = -1;
/** Slots the first reservation makes room for; each later one doubles it. */
const FIRST_RESERVE = 64;

/**
 * The TypeScript half of the engines across a boundary (native and WASM),
 * which extend it with their calls. A Node-API or WASM call costs more than
 * the work it does, so this side keeps everything but the recency order: it
 * hands out the slots, keeps their sizes, the count and the total, and
 * decides when to evict, so that no operation needs an answer from the
 * engine except which slots are the oldest.
 *
 * - Touches, inserts and removals are stored in an Int32Array the engine
 *   reads: a slot to make most recent (the engine links a slot it does not
 *   hold, which is how an insert is sent), or its complement (~slot,
 *   negative) to unlink. One call applies them in order when the buffer fills
 *   or before the order is read: the result is exactly that of a call per
 *   operation.
 * - The victim queue: a refill reports the engine's oldest slots in order.
 *   Touching or removing a queued slot drops it from the queue; the rest stay
 *   the oldest, in order, since every other operation adds at the recent end.
 *   Evictions pop from the queue, and call only once it runs dry.
 *
 * A base class rather than a member, so that a hit is one call deep. The
 * accounts are those of the TypeScript engine (ts.ts), so results agree.
 */
export abstract class BufferedEngine implements Engine {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #ops: Int32Array;
  #pending = 0;
  // A slot known to be most recent once the pending operations apply, or -1:
  // touching it again changes nothing, so a run of hits on one entry, or a get
  // right after its set, buffers nothing.
  #head = NONE;
  // The engine's report of its oldest slots; #queueAt..#queueEnd are unread.
  #queue: Int32Array;
  #queueAt = 0;
  #queueEnd = 0;
  // 1 for a slot still in the queue, read or not: a touch or removal clears it.
  #queued = new Uint8Array(FIRST_RESERVE);
  // A live slot's size; a free slot's next free slot (a LIFO list), or -1.
  #sizes = new Float64Array(FIRST_RESERVE);
  #reserved = 0;
  #used = 0;
  #free = NONE;
  #count = 0;
  #total = 0;
  // As in ts.ts: the newest set's size stays out of #total until its
  // evictions are done, so that the total never passes 2^53 on the way.
  #incoming = 0;
  readonly #victims = new Float64Array(VICTIM_BATCH * 2);

  /** `ops` and `queue`: the engine's buffers of OP_BATCH operations and VICTIM_BATCH oldest slots. */
  constructor(maxEntries: number, maxBytes: number, ops: Int32Array, queue: Int32Array) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#ops = ops;
    this.#queue = queue;
  }

  /** Makes the engine room for slots below `slots`; throws, changing nothing, when it cannot. */
  protected abstract reserve(slots: number): void;
  /** Makes the engine apply the first `n` buffered operations, in order. */
  protected abstract applyOps(n: number): void;
  /** Applies the first `n` buffered operations, then writes the oldest slots to the queue; returns how many. */
  protected abstract refill(n: number): number;
  /** The engine's slots from most to least recent. */
  protected abstract readOrder(): Int32Array;
  /** Makes the engine forget every slot. */
  protected abstract clearOrder(): void;

  /** The buffers moved (growing WASM memory detaches every view of it): use these from now on. */
  protected moveBuffers(ops: Int32Array, queue: Int32Array): void {
    this.#ops = ops;
    this.#queue = queue;
  }

  insert(bytes: number): number {
    let slot = this.#free;
    if (slot !== NONE) {
      this.#free = this.#sizes[slot];
    } else {
      if (this.#used === this.#reserved) this.#reserveMore();
      slot = this.#used++;
    }
    this.#sizes[slot] = bytes;
    this.#count++;
    this.#incoming = bytes;
    this.#buffer(slot);
    this.#head = slot;
    return slot;
  }

  update(slot: number, bytes: number): void {
    this.#total -= this.#sizes[slot];
    this.#sizes[slot] = bytes;
    this.#incoming = bytes;
    this.touch(slot);
  }

  touch(slot: number): void {
    if (slot === this.#head) return;
    this.#queued[slot] = 0;
    this.#buffer(slot);
    this.#head = slot;
  }

  remove(slot: number): void {
    this.#queued[slot] = 0;
    this.#buffer(~slot);
    if (slot === this.#head) this.#head = NONE;
    this.#total -= this.#sizes[slot];
    this.#count--;
    this.#sizes[slot] = this.#free;
    this.#free = slot;
  }

  evict(): number {
    const sizes = this.#sizes;
    const room = this.#maxBytes - this.#incoming;
    let n = 0;
    while (n < VICTIM_BATCH && this.#count > 1 && (this.#count > this.#maxEntries || this.#total > room)) {
      const victim = this.#oldest();
      this.#victims[2 * n] = victim;
      this.#victims[2 * n + 1] = sizes[victim];
      this.remove(victim);
      n++;
    }
    if (n < VICTIM_BATCH) {
      this.#total += this.#incoming;
      this.#incoming = 0;
    }
    return n;
  }

  victims(): Float64Array {
    return this.#victims;
  }

  sizeOf(slot: number): number {
    return this.#sizes[slot];
  }

  bytes(): number {
    return this.#total + this.#incoming;
  }

  order(): Int32Array {
    this.#flush();
    return this.readOrder();
  }

  clear(): void {
    this.forget();
    this.clearOrder();
  }

  abstract close(): void;

  /** Drops every slot on this side; the engine's side is the caller's to clear. */
  protected forget(): void {
    this.#pending = 0;
    this.#head = NONE;
    this.#queueAt = 0;
    this.#queueEnd = 0;
    this.#queued.fill(0);
    this.#reserved = 0;
    this.#used = 0;
    this.#free = NONE;
    this.#count = 0;
    this.#total = 0;
    this.#incoming = 0;
  }

  #buffer(entry: number): void {
    this.#ops[this.#pending++] = entry;
    if (this.#pending === OP_BATCH) this.#flush();
  }

  #flush(): void {
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    this.applyOps(n);
  }

  // The oldest slot, which the caller removes; there is one, since more than
  // one slot is live.
  #oldest(): number {
    for (;;) {
      const queue = this.#queue;
      while (this.#queueAt < this.#queueEnd) {
        const slot = queue[this.#queueAt++];
        if (this.#queued[slot] === 1) return slot;
      }
      const n = this.#pending;
      this.#pending = 0;
      const reported = this.refill(n);
      if (reported === 0) throw new Error('caro-cache: the engine reported no slot to evict');
      for (let i = 0; i < reported; i++) this.#queued[this.#queue[i]] = 1;
      this.#queueAt = 0;
      this.#queueEnd = reported;
    }
  }

  // Before anything changes, so that an engine out of memory leaves the cache as it was.
  #reserveMore(): void {
    const slots = Math.max(FIRST_RESERVE, 2 * this.#reserved);
    this.reserve(slots);
    this.#reserved = slots;
    if (this.#sizes.length >= slots) return;
    const sizes = new Float64Array(slots);
    const queued = new Uint8Array(slots);
    sizes.set(this.#sizes);
    queued.set(this.#queued);
    this.#sizes = sizes;
    this.#queued = queued;
  }
}
