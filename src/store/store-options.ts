/** The weight store's options and the shapes its download hooks and results take (weight-store.ts). */
import type { FetchLike, RetryOptions } from './http.js';
import type { ProgressCallback } from './progress.js';
import type { StorageLike } from '../core/storage-estimate.js';

/** 16 MiB: far below every browser's per-value limits, large enough that a 1.7 GB file is ~100 records. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

/**
 * 2 GiB: Chromium cannot allocate one ArrayBuffer much larger (about 2.15 GB), and onnxruntime-web
 * stages external data through one buffer; a bigger file (e.g. an fp32 SD v1.4 UNet's 3.4 GB
 * weights.pb) would download for minutes and then fail to load, so it is refused up front.
 */
export const MAX_FILE_BYTES = 2 ** 31;

export interface WeightStoreOptions {
  /** IndexedDB database name (default "sd-weights"). */
  dbName?: string;
  /** Bytes per stored chunk (default 16 MiB); tests use tiny chunks. Applies to files started after the change. */
  chunkSize?: number;
  fetch?: FetchLike;
  retry?: Partial<RetryOptions>;
  /** navigator.storage or a stand-in; null skips quota checks and persist(). */
  storage?: StorageLike | null;
  /** Minimum milliseconds between two 'download' progress events (default 100). */
  progressIntervalMs?: number;
  /** navigator.locks or a stand-in; null runs without cross-tab locking. */
  locks?: Pick<LockManager, 'request'> | null;
  /** Largest single file the browser can hand to ORT (default MAX_FILE_BYTES). */
  maxFileBytes?: number;
}

export interface DownloadOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /**
   * Called once the folder's files and sizes are known and its graphs (each `.onnx` file) are
   * stored, before the quota check and before any other file is downloaded; also for a model that is
   * already complete. Throwing refuses the model (e.g. too large for this backend): only the graphs
   * moved.
   */
  check?: (plan: DownloadPlan) => void | Promise<void>;
  /**
   * Called as soon as the folder's file list is known (manifest.json, model_index.json and HEAD
   * requests; for a stored model, its record), before any other file moves; also for a model that is
   * already complete. Throwing refuses the model (e.g. no vae_encoder/ for img2img) with nothing
   * downloaded but those two files.
   */
  checkFiles?: (listing: { name: string; files: ReadonlyMap<string, number | null> }) => void | Promise<void>;
  /** Also fetch the folder's safety checker (safety_checker/, feature_extractor/) when model_index.json lists it; default false. */
  safetyChecker?: boolean;
}

/** What `check` sees: every file of the folder with its size (null: unknown), and a reader for the stored graphs. */
export interface DownloadPlan {
  name: string;
  files: ReadonlyMap<string, number | null>;
  /** The bytes of a stored file (every `.onnx` file is stored when `check` runs). */
  read(path: string): Promise<Uint8Array>;
}

export interface OpenOptions {
  /** Never touch the network, even to repair a damaged chunk (it then fails with IntegrityError). */
  offline?: boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface VerifyResult {
  /** Chunks that were damaged or missing and have been re-fetched. */
  repaired: { path: string; chunk: number }[];
}
