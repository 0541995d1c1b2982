/**
 * The IndexedDB layer: model records, file records and file chunks in one object store, through
 * idb-keyval (`createStore(dbName, 'files')`). Keys are arrays, so one key range reaches a whole
 * model or file:
 *
 *   ['m', modelId]                → ModelRecord
 *   ['f', modelId, path]          → FileRecord
 *   ['c', modelId, path, index]   → Uint8Array (one chunk, ≤ chunkSize bytes)
 *
 * Chunks stay well under every browser's per-value limits (16 MiB by default; Chromium stores
 * large values as blob files, Safari has failed on values of hundreds of MiB).
 */
import { createStore, get, getMany, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import type { FileRecord, ModelRecord } from './records.js';

export const DEFAULT_DB_NAME = 'sd-weights';
const STORE_NAME = 'files';

/** Every array key sorts below an array that extends the prefix with [] (IndexedDB key order: number < date < string < binary < array). */
const prefixRange = (...prefix: (string | number)[]) => IDBKeyRange.bound(prefix, [...prefix, []]);

const modelKey = (id: string) => ['m', id];
const fileKey = (id: string, path: string) => ['f', id, path];
const chunkKey = (id: string, path: string, index: number) => ['c', id, path, index];

export class ChunkStore {
  readonly dbName: string;
  readonly #store: UseStore;

  constructor(dbName = DEFAULT_DB_NAME) {
    this.dbName = dbName;
    this.#store = createStore(dbName, STORE_NAME);
  }

  getModel(id: string): Promise<ModelRecord | undefined> {
    return get<ModelRecord>(modelKey(id), this.#store);
  }

  putModel(record: ModelRecord): Promise<void> {
    return setMany([[modelKey(record.id), record]], this.#store);
  }

  listModels(): Promise<ModelRecord[]> {
    return this.#store('readonly', (store) => promisifyRequest(store.getAll(prefixRange('m')) as IDBRequest<ModelRecord[]>));
  }

  getFile(id: string, path: string): Promise<FileRecord | undefined> {
    return get<FileRecord>(fileKey(id, path), this.#store);
  }

  putFile(id: string, record: FileRecord): Promise<void> {
    return setMany([[fileKey(id, record.path), record]], this.#store);
  }

  listFiles(id: string): Promise<FileRecord[]> {
    return this.#store('readonly', (store) => promisifyRequest(store.getAll(prefixRange('f', id)) as IDBRequest<FileRecord[]>));
  }

  /** Stores chunk `index` and the file record that lists its digest, atomically. */
  commitChunk(id: string, record: FileRecord, index: number, bytes: Uint8Array): Promise<void> {
    return setMany(
      [
        [chunkKey(id, record.path, index), bytes],
        [fileKey(id, record.path), record],
      ],
      this.#store,
    );
  }

  /** Replaces one chunk's bytes (a repair); its digest in the file record stays as it was. */
  putChunk(id: string, path: string, index: number, bytes: Uint8Array): Promise<void> {
    return setMany([[chunkKey(id, path, index), bytes]], this.#store);
  }

  async getChunk(id: string, path: string, index: number): Promise<Uint8Array | undefined> {
    const value = await get<unknown>(chunkKey(id, path, index), this.#store);
    return value instanceof Uint8Array ? value : undefined;
  }

  /** Several chunks in one transaction (used by tests and tools; loading reads one at a time). */
  getChunks(id: string, path: string, indices: number[]): Promise<(Uint8Array | undefined)[]> {
    return getMany<Uint8Array>(
      indices.map((index) => chunkKey(id, path, index)),
      this.#store,
    );
  }

  /** Deletes a file's chunks and writes its new record in one transaction (a restarted download). */
  resetFile(id: string, record: FileRecord): Promise<void> {
    return this.#store('readwrite', (store) => {
      store.delete(prefixRange('c', id, record.path));
      store.put(record, fileKey(id, record.path));
      return promisifyRequest(store.transaction);
    });
  }

  /** Deletes one file's record and chunks (an optional file the server turned out not to have). */
  deleteFile(id: string, path: string): Promise<void> {
    return this.#store('readwrite', (store) => {
      store.delete(prefixRange('c', id, path));
      store.delete(fileKey(id, path));
      return promisifyRequest(store.transaction);
    });
  }

  /** Deletes a model's records and chunks in one transaction. */
  deleteModel(id: string): Promise<void> {
    return this.#store('readwrite', (store) => {
      store.delete(prefixRange('c', id));
      store.delete(prefixRange('f', id));
      store.delete(modelKey(id));
      return promisifyRequest(store.transaction);
    });
  }
}
