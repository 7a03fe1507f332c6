export { createCache } from './cache.js';
export { availableBackends } from './backends.js';
export type { BackendName, Cache, CacheOptions, CacheStats } from './types.js';
export { ModelCache, DEFAULT_MAX_BYTES, defaultDir } from './model-cache.js';
export type { CachedModel, ModelCacheOptions, ModelCacheStats, VerifyResult } from './model-cache.js';
export { DownloadError } from './download.js';
export { formatBytes, parseSize } from './sizes.js';
