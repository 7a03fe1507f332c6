import { VICTIM_BATCH, type Engine, type EngineFactory } from './contract.js';

const NONE = -1;

/**
 * The pure TypeScript engine: a doubly linked recency list in typed arrays,
 * indexed by slot, with a LIFO free list threaded through `next`. A slot's
 * two links sit side by side (prev at 2 * slot, next at 2 * slot + 1), so
 * relinking it touches one cache line, not two: it tells at 10^6 entries.
 * An insert that one eviction makes room for takes the evicted slot itself,
 * as an array-backed LRU reuses its tail, so the common full-cache insert
 * needs no free list and no evict().
 */
class TsEngine implements Engine {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #links = new Int32Array(128);
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
    const tail = this.#tail;
    const room = this.#maxBytes - bytes;
    // Full, and evicting the least recent entry alone makes room: its slot serves the new one.
    if (
      tail !== NONE &&
      this.#count <= this.#maxEntries &&
      (this.#count === this.#maxEntries || this.#total > room) &&
      this.#total - this.#sizes[tail] <= room
    ) {
      const size = this.#sizes[tail];
      this.#victims[0] = tail;
      this.#victims[1] = size;
      this.#total = this.#total - size + bytes;
      this.#sizes[tail] = bytes;
      this.touch(tail);
      return tail;
    }
    let slot = this.#free;
    if (slot !== NONE) {
      this.#free = this.#links[2 * slot + 1];
    } else {
      if (this.#used === this.#sizes.length) this.#grow();
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
    this.#links[2 * slot + 1] = this.#free;
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
    for (let slot = this.#head, i = 0; slot !== NONE; slot = this.#links[2 * slot + 1]) out[i++] = slot;
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
    this.#links = new Int32Array(0);
    this.#sizes = new Float64Array(0);
  }

  #unlink(slot: number): void {
    const links = this.#links;
    const prev = links[2 * slot];
    const next = links[2 * slot + 1];
    if (prev === NONE) this.#head = next;
    else links[2 * prev + 1] = next;
    if (next === NONE) this.#tail = prev;
    else links[2 * next] = prev;
  }

  #linkFirst(slot: number): void {
    const links = this.#links;
    const head = this.#head;
    links[2 * slot] = NONE;
    links[2 * slot + 1] = head;
    if (head === NONE) this.#tail = slot;
    else links[2 * head] = slot;
    this.#head = slot;
  }

  #grow(): void {
    const capacity = this.#sizes.length * 2;
    const links = new Int32Array(2 * capacity);
    const sizes = new Float64Array(capacity);
    links.set(this.#links);
    sizes.set(this.#sizes);
    this.#links = links;
    this.#sizes = sizes;
  }
}

export const createTsEngine: EngineFactory = (maxEntries, maxBytes) => new TsEngine(maxEntries, maxBytes);
