import { VICTIM_BATCH, type Engine, type EngineFactory } from './contract.js';

const NONE = -1;

// Where a slot's links sit in #links. Shifts rather than products: V8 checks
// an integer product for overflow, never a shift, and a Map's 2^24 entries
// keep slot << 1 well inside an int32.
const prevAt = (slot: number): number => slot << 1;
const nextAt = (slot: number): number => (slot << 1) | 1;

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
    if (tail !== NONE) {
      const size = this.#sizes[tail];
      const total = this.#total;
      const room = this.#maxBytes - bytes;
      const count = this.#count;
      // Full, and evicting the least recent entry alone makes room: its slot serves the new one.
      if (count <= this.#maxEntries && (count === this.#maxEntries || total > room) && total - size <= room) {
        this.#victims[0] = tail;
        this.#victims[1] = size;
        this.#total = total - size + bytes;
        this.#sizes[tail] = bytes;
        this.#rotate(tail);
        return tail;
      }
    }
    return this.#allocate(bytes);
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
    this.#links[nextAt(slot)] = this.#free;
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
    for (let slot = this.#head, i = 0; slot !== NONE; slot = this.#links[nextAt(slot)]) out[i++] = slot;
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

  // A slot for an insert that must call evict(): from the free list, or a new one.
  #allocate(bytes: number): number {
    let slot = this.#free;
    if (slot !== NONE) {
      this.#free = this.#links[nextAt(slot)];
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

  // Moves the tail to the head: touch() unrolled for the slot whose next link is known to be NONE.
  #rotate(tail: number): void {
    const head = this.#head;
    if (tail === head) return;
    const links = this.#links;
    const prev = links[prevAt(tail)];
    links[nextAt(prev)] = NONE;
    this.#tail = prev;
    links[prevAt(tail)] = NONE;
    links[nextAt(tail)] = head;
    links[prevAt(head)] = tail;
    this.#head = tail;
  }

  #unlink(slot: number): void {
    const links = this.#links;
    const prev = links[prevAt(slot)];
    const next = links[nextAt(slot)];
    if (prev === NONE) this.#head = next;
    else links[nextAt(prev)] = next;
    if (next === NONE) this.#tail = prev;
    else links[prevAt(next)] = prev;
  }

  #linkFirst(slot: number): void {
    const links = this.#links;
    const head = this.#head;
    links[prevAt(slot)] = NONE;
    links[nextAt(slot)] = head;
    if (head === NONE) this.#tail = slot;
    else links[prevAt(head)] = slot;
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
