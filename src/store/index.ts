/**
 * The weight store: model folders streamed into IndexedDB with progress, resume, integrity
 * checks and offline reuse. Runs in a worker or a page (fetch, IndexedDB, crypto.subtle,
 * navigator.storage); no DOM.
 */
export {
  WeightStore,
  DEFAULT_CHUNK_SIZE,
  type WeightStoreOptions,
  type DownloadOptions,
  type DownloadPlan,
  type OpenOptions,
  type VerifyResult,
} from './weight-store.js';
export { IdbModelSource } from './idb-model-source.js';
export { HttpModelSource } from './http-model-source.js';
export type { StoreProgress, ProgressCallback } from './progress.js';
export type { StoredModel } from './records.js';
export { parseManifest, MANIFEST_PATH, type Manifest, type ManifestEntry } from './manifest.js';
export { normaliseModelUrl, modelNameFromUrl } from '../engine/model/model-url.js';
export { DEFAULT_DB_NAME } from './chunk-store.js';
export { formatBytes } from '../core/format-bytes.js';
