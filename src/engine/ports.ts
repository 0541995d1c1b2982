/**
 * The engine's ports: what it needs from the outside, defined here and implemented elsewhere (the
 * weight store in src/store implements ModelStore and reports DownloadProgress; Node's directory
 * source and the store's sources implement ModelSource, in model-source.ts). The engine imports
 * nothing from its adapters.
 */
import type { FolderPlan } from './runtime/model-fit.js';
import type { FolderListing } from './model/model-parts.js';
import type { ModelSource } from './model/model-source.js';
import type { DownloadProgress } from './events.js';

export type { ModelSource };
/** What a ModelStore reports while it gets a model's files (defined with every progress type in events.ts). */
export type { DownloadProgress };

/** A model kept on this device, as a store lists it. */
export interface StoredModelInfo {
  id: string;
  name: string;
  /** The model folder's URL (normalised; the same as `id`). */
  url: string;
  complete: boolean;
  /** Bytes stored so far (all of them once complete). */
  sizeBytes: number;
  /** The whole model's size, where known. */
  totalBytes: number | null;
  files: { path: string; size: number | null; storedBytes: number; sha256?: string; complete: boolean }[];
  createdAt: number;
  completedAt?: number;
  persisted?: boolean;
}

/** Where models live on this device (the browser's weight store; a folder on disk in Node tests). */
export interface ModelStore {
  /** Downloads what is missing (resuming), verifies, and returns a source that reads the local copy. */
  /**
   * `check` sees the folder's files, sizes and graphs before its weights download (and for a stored
   * model before it is opened); throwing refuses the model (see model-fit.ts). `checkFiles` sees the
   * folder's file list earlier, before anything but model_index.json and manifest.json moves (see model-parts.ts).
   */
  ensure(
    url: string,
    options: {
      onProgress?: (progress: DownloadProgress) => void;
      signal?: AbortSignal;
      check?: (plan: FolderPlan) => Promise<void>;
      checkFiles?: (listing: FolderListing) => void | Promise<void>;
      safetyChecker?: boolean;
    },
  ): Promise<ModelSource>;
  list(): Promise<StoredModelInfo[]>;
  delete(id: string): Promise<void>;
  /**
   * Forgets stored files the runtime refused as damaged (a model part onnxruntime cannot load), so the
   * next `ensure` fetches them again instead of handing back the same copy. Optional: a store of files
   * the user manages (a folder on disk) keeps them.
   */
  discard?(url: string, paths: readonly string[]): Promise<void>;
}
