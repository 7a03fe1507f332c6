export { createCache } from './cache/cache.js';
export { availableBackends, BACKENDS } from './engines/load.js';
export type { BackendName, Cache, CacheOptions, CacheStats } from './cache/types.js';
export { ModelCache, DEFAULT_MAX_BYTES, defaultDir } from './store/model-cache.js';
export type { CachedModel, ModelCacheOptions, ModelCacheStats, VerifyResult } from './store/model-cache.js';
export { DownloadError } from './store/download.js';
export { DiskError } from './store/download.js';
export { formatBytes, parseSize } from './store/sizes.js';
