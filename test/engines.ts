import { BACKENDS, type BackendName } from 'caro-cache';

/**
 * Every engine, each tested in full. An engine that cannot load fails its
 * tests (createCache throws) rather than being skipped.
 */
export const ENGINES: readonly BackendName[] = BACKENDS;
