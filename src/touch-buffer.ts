import { READ_BATCH } from './core.js';

/**
 * The hit path of the engines across a boundary (native and WASM), which
 * extend it. A Node-API or WASM call costs more than the hit itself, so
 * touch() only stores the slot in an Int32Array the engine reads, and one
 * call applies the buffered touches when it fills or, through
 * flushTouches(), before anything that reads or changes recency or
 * membership: the order is exactly that of a call per hit. A base class
 * rather than a member, so that a hit is one call deep.
 */
export abstract class TouchBuffer {
  #view: Int32Array;
  #pending = 0;
  // A slot known to be most recent once the pending touches apply, or -1:
  // touching it again changes nothing, so a run of hits on one entry, or a get
  // right after its set, buffers nothing.
  #head = -1;

  /** `view`: the buffer of READ_BATCH slots the engine reads. */
  constructor(view: Int32Array) {
    this.#view = view;
  }

  /** Makes the engine apply the first `n` buffered touches, in order. */
  protected abstract applyTouches(n: number): void;

  /** A new view of the buffer, for when the last one was detached (length 0, as when WASM memory grows). */
  protected abstract viewTouches(): Int32Array;

  touch(slot: number): void {
    if (slot === this.#head) return;
    if (this.#view.length === 0) this.#view = this.viewTouches();
    this.#view[this.#pending++] = slot;
    this.#head = slot;
    if (this.#pending === READ_BATCH) this.flushTouches();
  }

  protected flushTouches(): void {
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    this.applyTouches(n);
  }

  /** `slot` was just inserted or updated, so it is the most recent. */
  protected madeRecent(slot: number): void {
    this.#head = slot;
  }

  /** `slot` was just removed. Evictions need no call: they never take the most recent slot. */
  protected removed(slot: number): void {
    if (slot === this.#head) this.#head = -1;
  }

  /** The engine forgot every slot, which makes pending touches moot. */
  protected forgetTouches(): void {
    this.#pending = 0;
    this.#head = -1;
  }
}
