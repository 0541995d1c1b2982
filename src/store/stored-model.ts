/** Reading what the ChunkStore holds: a stored file's bytes, a model as `WeightStore.list()` describes it, whether it lacks its safety checker. */
import { ModelFileMissingError } from '../core/errors.js';
import type { ChunkStore } from './chunk-store.js';
import { forEachChunk } from './idb-model-source.js';
import { MODEL_INDEX_PATH, modelFiles, SAFETY_CHECKER_FILE } from './model-files.js';
import type { FileRecord, ModelRecord, StoredModel } from './records.js';

/** A stored file's bytes, each chunk checked against its digest (no repair). */
export async function assembleFile(store: ChunkStore, id: string, record: FileRecord): Promise<Uint8Array> {
  const out = new Uint8Array(record.size ?? record.storedBytes);
  await forEachChunk(store, id, record, undefined, (chunk, index) => out.set(chunk, index * record.chunkSize));
  return out;
}

/** A stored file's bytes by path; ModelFileMissingError when the model has no such file. */
export async function readStoredFile(store: ChunkStore, id: string, path: string): Promise<Uint8Array> {
  const record = await store.getFile(id, path);
  if (!record) throw new ModelFileMissingError(`The model has no ${path}.`);
  return assembleFile(store, id, record);
}

/**
 * Whether a model stored with the safety checker off lacks a checker its model_index.json lists: turned
 * on, the download continues for just those files (safety_checker/, feature_extractor/).
 */
export async function lacksSafetyChecker(store: ChunkStore, model: ModelRecord): Promise<boolean> {
  if (model.files.includes(SAFETY_CHECKER_FILE)) return false;
  const index = await store.getFile(model.id, MODEL_INDEX_PATH);
  if (!index?.complete) return false;
  const text = new TextDecoder().decode(await assembleFile(store, model.id, index));
  return modelFiles(text, MODEL_INDEX_PATH, undefined, { safetyChecker: true }).some((file) => file.path === SAFETY_CHECKER_FILE);
}

export async function describeModel(store: ChunkStore, model: ModelRecord): Promise<StoredModel> {
  const files = await store.listFiles(model.id);
  const result: StoredModel = {
    id: model.id,
    name: model.name,
    url: model.baseUrl,
    complete: model.complete,
    sizeBytes: files.reduce((sum, file) => sum + file.storedBytes, 0),
    totalBytes: model.totalBytes,
    files: files.map((file) => {
      const entry: StoredModel['files'][number] = { path: file.path, size: file.size, storedBytes: file.storedBytes, complete: file.complete };
      if (file.sha256) entry.sha256 = file.sha256;
      return entry;
    }),
    createdAt: model.createdAt,
  };
  if (model.completedAt !== undefined) result.completedAt = model.completedAt;
  if (model.persisted !== undefined) result.persisted = model.persisted;
  return result;
}
