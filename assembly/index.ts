// The recency order of the WebAssembly engine. Keys never enter linear
// memory, and neither do sizes, counts or limits: the TypeScript side hands
// out the slots and keeps the accounts (src/engines/buffered.ts), so that an
// insert which evicts nothing needs no call; this module keeps the slots in
// recency order and reports the oldest ones.
//
// One instance serves one cache. Slots are 8-byte records laid out from the
// heap base upward, so the store grows in place with memory.grow and never
// moves.

// @ts-ignore: decorator
@inline const NONE: i32 = -1;
// @ts-ignore: decorator
@inline const UNLINKED: i32 = -2;
// @ts-ignore: decorator
@inline const RECORD: usize = 8; // prev: i32, next: i32
// @ts-ignore: decorator
@inline const VICTIM_BATCH: i32 = 256;
// @ts-ignore: decorator
@inline const OP_BATCH: i32 = 256;

// The least recent slots, oldest first, as refill() reports them.
const queue: usize = memory.data(VICTIM_BATCH * 4, 16);
// Operations the host buffered, applied in order: a slot to make most recent
// (linking it if it is out of the order, which is how the host inserts), or
// the complement (~slot, negative) of one to unlink. A hit, an insert or a
// removal then costs a store in JavaScript instead of a call.
const ops: usize = memory.data(OP_BATCH * 4, 16);
const base: usize = (__heap_base + 15) & ~15;

let capacity: i32 = 0; // records reserved, each out of the order until linked
let head: i32 = NONE;
let tail: i32 = NONE;

// @ts-ignore: decorator
@inline function at(slot: i32): usize {
  return base + <usize>slot * RECORD;
}
// @ts-ignore: decorator
@inline function prevOf(slot: i32): i32 { return load<i32>(at(slot)); }
// @ts-ignore: decorator
@inline function nextOf(slot: i32): i32 { return load<i32>(at(slot), 4); }
// @ts-ignore: decorator
@inline function setPrev(slot: i32, v: i32): void { store<i32>(at(slot), v); }
// @ts-ignore: decorator
@inline function setNext(slot: i32, v: i32): void { store<i32>(at(slot), v, 4); }

export function queuePointer(): usize {
  return queue;
}

export function opsPointer(): usize {
  return ops;
}

// The batch sizes the host's buffers are laid out for, which it checks at load
// against its own, as it does the addon's.
export function victimBatch(): i32 {
  return VICTIM_BATCH;
}

export function opBatch(): i32 {
  return OP_BATCH;
}

// Room for slots below `slots`. Growing memory detaches the host's views of
// it, which it takes anew after this call.
export function reserve(slots: i32): void {
  if (slots <= capacity) return;
  const end = base + <usize>slots * RECORD;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  for (let slot = capacity; slot < slots; slot++) setPrev(slot, UNLINKED);
  capacity = slots;
}

function unlink(slot: i32): void {
  const p = prevOf(slot);
  const n = nextOf(slot);
  if (p == NONE) head = n; else setNext(p, n);
  if (n == NONE) tail = p; else setPrev(n, p);
}

function linkFirst(slot: i32): void {
  setPrev(slot, NONE);
  setNext(slot, head);
  if (head == NONE) tail = slot; else setPrev(head, slot);
  head = slot;
}

export function applyOps(n: i32): void {
  for (let i = 0; i < n; i++) {
    const op = load<i32>(ops + (<usize>i << 2));
    if (op >= 0) {
      if (op == head) continue;
      if (prevOf(op) != UNLINKED) unlink(op);
      linkFirst(op);
    } else {
      unlink(~op);
      setPrev(~op, UNLINKED);
    }
  }
}

// Applies the first n buffered operations, then writes the least recent
// slots to the queue, oldest first, at most a batch: one call for both.
export function refill(n: i32): i32 {
  applyOps(n);
  let count = 0;
  for (let slot = tail; slot != NONE && count < VICTIM_BATCH; slot = prevOf(slot)) {
    store<i32>(queue + (<usize>count << 2), slot);
    count++;
  }
  return count;
}

export function first(): i32 {
  return head;
}

export function after(slot: i32): i32 {
  return nextOf(slot);
}

// Keeps the grown memory (WASM cannot shrink it) but forgets every slot.
export function clear(): void {
  capacity = 0;
  head = NONE;
  tail = NONE;
}

// An empty call taking a slot: the cost of one crossing into WebAssembly, the
// floor that the benchmarks put beside this engine.
export function noop(slot: i32): void {}
