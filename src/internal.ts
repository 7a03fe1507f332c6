// `caro-cache/internal`: what the benchmark harness (caro-cache-bench)
// measures beyond the public API, behind one declared entry point. Not part
// of the public API: it may change in any release.

import { statSync } from 'node:fs';
import { loadAddon } from './engines/native.js';
import { compileWasm, instantiateWasm, WASM_MODULE } from './engines/wasm.js';

/** The addon's empty call taking one number: the floor of a Node-API crossing. Throws when the addon cannot load. */
export function napiNoop(): (slot: number) => void {
  return loadAddon().noop;
}

/** The empty call, taking a slot, of a fresh WebAssembly instance: the floor of a WebAssembly crossing. */
export function wasmNoop(): (slot: number) => void {
  return instantiateWasm(compileWasm()).noop;
}

/** Slot storage held by every native cache in the process, which V8's counters do not see. */
export function nativeMemoryBytes(): number {
  return loadAddon().memoryBytes();
}

/** The size of the WebAssembly module in bytes. */
export function wasmModuleBytes(): number {
  return statSync(WASM_MODULE).size;
}
