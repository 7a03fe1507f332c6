// The LRU core of the WebAssembly engine: recency order, byte accounting and
// the choice of victims. Keys never enter linear memory: the TypeScript side
// maps each key to a slot number and passes only numbers across, because a
// string copy into WASM memory costs far more than the whole operation.
//
// One instance serves one cache. Slots are 16-byte records laid out from the
// heap base upward, so the store grows in place with memory.grow and never
// moves; released slots go on a LIFO free list and are reused first.

// @ts-ignore: decorator
@inline const NONE: i32 = -1;
// @ts-ignore: decorator
@inline const RECORD: usize = 16; // prev: i32, next: i32, bytes: u64
// @ts-ignore: decorator
@inline const VICTIM_BATCH: i32 = 256;
// @ts-ignore: decorator
@inline const OP_BATCH: i32 = 256;

// [slot, bytes] pairs as f64, read by the host after evict().
const victims: usize = memory.data(VICTIM_BATCH * 16, 16);
// Operations the host buffered, applied in order by applyOps(): a slot it hit,
// or the complement (~slot, negative) of one it removed. A hit or a removal
// then costs a store in JavaScript instead of a call into WebAssembly.
const ops: usize = memory.data(OP_BATCH * 4, 16);
const base: usize = (__heap_base + 15) & ~15;

let maxEntries: u64 = u64.MAX_VALUE;
let maxBytes: u64 = u64.MAX_VALUE;
let capacity: i32 = 0;
let used: i32 = 0; // slots ever handed out; the rest of the capacity is fresh
let freeHead: i32 = NONE;
let head: i32 = NONE;
let tail: i32 = NONE;
let count: i32 = 0;
let total: u64 = 0;

// @ts-ignore: decorator
@inline function at(slot: i32): usize {
  return base + <usize>slot * RECORD;
}
// @ts-ignore: decorator
@inline function prevOf(slot: i32): i32 { return load<i32>(at(slot)); }
// @ts-ignore: decorator
@inline function nextOf(slot: i32): i32 { return load<i32>(at(slot), 4); }
// @ts-ignore: decorator
@inline function bytesOf(slot: i32): u64 { return load<u64>(at(slot), 8); }
// @ts-ignore: decorator
@inline function setPrev(slot: i32, v: i32): void { store<i32>(at(slot), v); }
// @ts-ignore: decorator
@inline function setNext(slot: i32, v: i32): void { store<i32>(at(slot), v, 4); }
// @ts-ignore: decorator
@inline function setBytes(slot: i32, v: u64): void { store<u64>(at(slot), v, 8); }

function limit(value: f64): u64 {
  return value == Infinity ? u64.MAX_VALUE : <u64>value;
}

export function init(entries: f64, bytes: f64): void {
  maxEntries = limit(entries);
  maxBytes = limit(bytes);
  clear();
}

export function victimsPointer(): usize {
  return victims;
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

function allocate(): i32 {
  if (freeHead != NONE) {
    const slot = freeHead;
    freeHead = nextOf(slot);
    return slot;
  }
  if (used == capacity) grow();
  return used++;
}

function grow(): void {
  const next = capacity == 0 ? 64 : capacity * 2;
  const end = base + <usize>next * RECORD;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  capacity = next;
}

export function insert(bytes: f64): i32 {
  const slot = allocate();
  const size = <u64>bytes;
  setBytes(slot, size);
  linkFirst(slot);
  count++;
  total += size;
  return slot;
}

export function update(slot: i32, bytes: f64): void {
  const size = <u64>bytes;
  total = total - bytesOf(slot) + size;
  setBytes(slot, size);
  touch(slot);
}

function touch(slot: i32): void {
  if (slot == head) return;
  unlink(slot);
  linkFirst(slot);
}

export function applyOps(n: i32): void {
  for (let i = 0; i < n; i++) {
    const op = load<i32>(ops + (<usize>i << 2));
    if (op >= 0) touch(op);
    else remove(~op);
  }
}

function remove(slot: i32): void {
  unlink(slot);
  total -= bytesOf(slot);
  count--;
  setNext(slot, freeHead);
  freeHead = slot;
}

export function evict(): i32 {
  let n = 0;
  while (n < VICTIM_BATCH && count > 1 && (<u64>count > maxEntries || total > maxBytes)) {
    const victim = tail;
    const out = victims + (<usize>n << 4);
    store<f64>(out, <f64>victim);
    store<f64>(out, <f64>bytesOf(victim), 8);
    remove(victim);
    n++;
  }
  return n;
}

export function sizeOf(slot: i32): f64 {
  return <f64>bytesOf(slot);
}

export function totalBytes(): f64 {
  return <f64>total;
}

export function first(): i32 {
  return head;
}

export function after(slot: i32): i32 {
  return nextOf(slot);
}

// Keeps the grown memory (WASM cannot shrink it) but forgets every slot.
export function clear(): void {
  used = 0;
  freeHead = NONE;
  head = NONE;
  tail = NONE;
  count = 0;
  total = 0;
}

// An empty call taking a slot: the cost of one crossing into WebAssembly, the
// floor that the benchmarks put beside this engine.
export function noop(slot: i32): void {}
