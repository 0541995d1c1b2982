/**
 * What the weight store keeps in IndexedDB, besides the chunks themselves.
 *
 * Invariants (what makes "nothing half-written is ever taken as complete" hold):
 * - a chunk and the FileRecord that lists its digest are written in one transaction;
 * - `FileRecord.complete` is set only after the whole file's SHA-256 was computed and, when the
 *   manifest gives one, matched;
 * - `ModelRecord.complete` is set only after every file of the model is complete.
 */
import type { StoredModelInfo } from '../engine/ports.js';
import type { Sha256State } from './sha256.js';

export interface ModelRecord {
  /** The normalised base URL (see model-url.ts). */
  id: string;
  name: string;
  baseUrl: string;
  /** Every file the model has, model_index.json included. */
  files: string[];
  /** Sum of the files' sizes, where known (manifest or Content-Length). */
  totalBytes: number | null;
  hasManifest: boolean;
  complete: boolean;
  createdAt: number;
  completedAt?: number;
  /** Whether the browser granted persistent storage when this model was stored. */
  persisted?: boolean;
}

export interface FileRecord {
  path: string;
  /** Bytes per chunk (the last chunk may be shorter). Fixed per file once its first chunk is stored. */
  chunkSize: number;
  /** Expected size while downloading (manifest or server), the exact size once complete; null when unknown. */
  size: number | null;
  /** The manifest's digest, when the model has a manifest. */
  expectedSha256?: string;
  /** SHA-256 (hex) of each stored chunk, in order. */
  chunks: string[];
  /** Bytes in the stored chunks. */
  storedBytes: number;
  /** The incremental whole-file hasher's state after `storedBytes`, so a resumed download continues it. */
  hash?: Sha256State;
  /**
   * The server's validators for the version whose bytes are stored (from the 200 that started the
   * file): sent as If-Range on every resume and compared with each 206, so a file that changed on
   * the server is never continued with bytes of another version.
   */
  etag?: string;
  lastModified?: string;
  /** The whole file's SHA-256 (hex), set when complete. */
  sha256?: string;
  complete: boolean;
}

/** A stored model as `WeightStore.list()` reports it: the engine's StoredModelInfo port. */
export type StoredModel = StoredModelInfo;

export function emptyFileRecord(path: string, chunkSize: number, size: number | null, expectedSha256?: string): FileRecord {
  const record: FileRecord = { path, chunkSize, size, chunks: [], storedBytes: 0, complete: false };
  if (expectedSha256) record.expectedSha256 = expectedSha256;
  return record;
}
