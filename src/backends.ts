import type { CoreFactory } from './core.js';
import { loadNative } from './native-core.js';
import { createTsCore } from './ts-core.js';
import { loadWasm } from './wasm-core.js';
import type { BackendName } from './types.js';

/** The order in which `'auto'` tries the engines. */
export const BACKENDS: readonly BackendName[] = ['native', 'wasm', 'ts'];

const loaders: Record<BackendName, () => CoreFactory> = {
  native: loadNative,
  wasm: loadWasm,
  ts: () => createTsCore,
};

type Loaded = { factory: CoreFactory } | { reason: string };
const loaded = new Map<BackendName, Loaded>();

// Engines load on first use, once: a process that only wants the TypeScript
// engine never touches the addon or compiles the module.
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
export function resolveBackend(requested: BackendName | 'auto'): { name: BackendName; factory: CoreFactory } {
  if (requested !== 'auto') {
    const result = load(requested);
    if ('reason' in result) throw new Error(`caro-cache: the ${requested} engine cannot load here: ${result.reason}`);
    return { name: requested, factory: result.factory };
  }
  for (const name of BACKENDS) {
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
