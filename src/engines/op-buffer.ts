import { OP_BATCH } from './contract.js';

/**
 * The hit and delete paths of the engines across a boundary (native and
 * WASM), which extend it. A Node-API or WASM call costs more than the work it
 * does, so touch() and remove(), which answer nothing, only store an entry in
 * an Int32Array the engine reads: a slot to touch, or its complement (~slot,
 * negative) to remove. One call applies the buffered operations in order when
 * the buffer fills or, through flushOps(), before anything that reads the
 * order or the total or changes them otherwise: the result is exactly that of
 * a call per operation. A base class rather than a member, so that a hit is
 * one call deep.
 */
export abstract class OpBuffer {
  #view: Int32Array;
  #pending = 0;
  // A slot known to be most recent once the pending operations apply, or -1:
  // touching it again changes nothing, so a run of hits on one entry, or a get
  // right after its set, buffers nothing.
  #head = -1;

  /** `view`: the buffer of OP_BATCH entries the engine reads. */
  constructor(view: Int32Array) {
    this.#view = view;
  }

  /** Makes the engine apply the first `n` buffered operations, in order. */
  protected abstract applyOps(n: number): void;

  /** The buffer moved (growing WASM memory detaches every view of it): operations go to `view` from now on. */
  protected moveOps(view: Int32Array): void {
    this.#view = view;
  }

  touch(slot: number): void {
    if (slot === this.#head) return;
    this.#buffer(slot);
    this.#head = slot;
  }

  remove(slot: number): void {
    this.#buffer(~slot);
    if (slot === this.#head) this.#head = -1;
  }

  protected flushOps(): void {
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    this.applyOps(n);
  }

  /** `slot` was just inserted or updated, so it is the most recent. */
  protected madeRecent(slot: number): void {
    this.#head = slot;
  }

  /** The engine forgot every slot, which makes pending operations moot. */
  protected forgetOps(): void {
    this.#pending = 0;
    this.#head = -1;
  }

  #buffer(entry: number): void {
    this.#view[this.#pending++] = entry;
    if (this.#pending === OP_BATCH) this.flushOps();
  }
}
