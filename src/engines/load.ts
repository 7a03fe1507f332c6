// Which engines load in this process. Each loads on first use, once: a
// process that only wants the TypeScript engine never touches the addon or
// compiles the WebAssembly module.

import type { EngineFactory } from './contract.js';
import { loadNative } from './native.js';
import { createTsEngine } from './ts.js';
import { loadWasm } from './wasm.js';

/** Every engine. */
export const BACKENDS = ['native', 'wasm', 'ts'] as const;

/** An engine's name, as the `backend` option spells it. */
export type BackendName = (typeof BACKENDS)[number];

/**
 * The order in which `'auto'` tries the engines: the fastest by measurement
 * first (docs/design.md, "Which engine 'auto' serves"), each next one serving
 * when those before it cannot load.
 */
const AUTO_ORDER: readonly BackendName[] = ['ts', 'wasm', 'native'];

const loaders: Record<BackendName, () => EngineFactory> = {
  native: loadNative,
  wasm: loadWasm,
  ts: () => createTsEngine,
};

type Loaded = { factory: EngineFactory } | { reason: string };
const loaded = new Map<BackendName, Loaded>();

function load(name: BackendName): Loaded {
  let result = loaded.get(name);
  if (result === undefined) {
    try {
      result = { factory: loaders[name]() };
    } catch (error) {
      result = { reason: error instanceof Error ? error.message : String(error) };
    }
    loaded.set(name, result);
  }
  return result;
}

/** The factory for an engine asked for by name; throws, naming the engine and why, when it cannot load. */
export function resolveEngine(requested: BackendName | 'auto'): { name: BackendName; factory: EngineFactory } {
  if (requested !== 'auto') {
    const result = load(requested);
    if ('reason' in result) throw new Error(`caro-cache: the ${requested} engine cannot load here: ${result.reason}`);
    return { name: requested, factory: result.factory };
  }
  for (const name of AUTO_ORDER) {
    const result = load(name);
    if ('factory' in result) return { name, factory: result.factory };
  }
  throw new Error('caro-cache: no engine can load here');
}

/** Which engines load in this process, and why not for those that do not. */
export function availableBackends(): { name: BackendName; available: boolean; reason?: string }[] {
  return BACKENDS.map((name) => {
    const result = load(name);
    return 'reason' in result ? { name, available: false, reason: result.reason } : { name, available: true };
  });
}
