import { VICTIM_BATCH, type CoreFactory, type LruCore } from './core.js';

const NONE = -1;

/**
 * The pure TypeScript engine: a doubly linked recency list in typed arrays,
 * indexed by slot, with a LIFO free list threaded through `next`.
 */
class TsCore implements LruCore {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #prev = new Int32Array(64);
  #next = new Int32Array(64);
  #sizes = new Float64Array(64);
  #used = 0;
  #free = NONE;
  #head = NONE;
  #tail = NONE;
  #count = 0;
  #total = 0;
  // The newest set's size is kept out of #total until its evictions are done:
  // #total + size may pass 2^53 and lose exactness, `#maxBytes - size` cannot.
  #incoming = 0;
  readonly #victims = new Float64Array(VICTIM_BATCH * 2);

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  insert(bytes: number): number {
    let slot = this.#free;
    if (slot !== NONE) {
      this.#free = this.#next[slot];
    } else {
      if (this.#used === this.#prev.length) this.#grow();
      slot = this.#used++;
    }
    this.#sizes[slot] = bytes;
    this.#linkFirst(slot);
    this.#count++;
    this.#incoming = bytes;
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
    this.#unlink(slot);
    this.#linkFirst(slot);
  }

  remove(slot: number): void {
    this.#unlink(slot);
    this.#total -= this.#sizes[slot];
    this.#count--;
    this.#next[slot] = this.#free;
    this.#free = slot;
  }

  evict(): number {
    const sizes = this.#sizes;
    const room = this.#maxBytes - this.#incoming;
    let n = 0;
    while (n < VICTIM_BATCH && this.#count > 1 && (this.#count > this.#maxEntries || this.#total > room)) {
      const victim = this.#tail;
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
    const out = new Int32Array(this.#count);
    for (let slot = this.#head, i = 0; slot !== NONE; slot = this.#next[slot]) out[i++] = slot;
    return out;
  }

  clear(): void {
    this.#used = 0;
    this.#free = NONE;
    this.#head = NONE;
    this.#tail = NONE;
    this.#count = 0;
    this.#total = 0;
    this.#incoming = 0;
  }

  close(): void {
    this.clear();
    this.#prev = this.#next = new Int32Array(0);
    this.#sizes = new Float64Array(0);
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot];
    const next = this.#next[slot];
    if (prev === NONE) this.#head = next;
    else this.#next[prev] = next;
    if (next === NONE) this.#tail = prev;
    else this.#prev[next] = prev;
  }

  #linkFirst(slot: number): void {
    this.#prev[slot] = NONE;
    this.#next[slot] = this.#head;
    if (this.#head === NONE) this.#tail = slot;
    else this.#prev[this.#head] = slot;
    this.#head = slot;
  }

  #grow(): void {
    const capacity = this.#prev.length * 2;
    const prev = new Int32Array(capacity);
    const next = new Int32Array(capacity);
    const sizes = new Float64Array(capacity);
    prev.set(this.#prev);
    next.set(this.#next);
    sizes.set(this.#sizes);
    this.#prev = prev;
    this.#next = next;
    this.#sizes = sizes;
  }
}

export const createTsCore: CoreFactory = (maxEntries, maxBytes) => new TsCore(maxEntries, maxBytes);
