export { createCache } from './cache.js';
export { availableBackends } from './backends.js';
export type { BackendName, Cache, CacheOptions, CacheStats } from './types.js';
