/** Reading what the ChunkStore holds: a stored file's bytes, and a model as `WeightStore.list()` describes it. */
import { ModelFileMissingError } from '../core/errors.js';
import type { ChunkStore } from './chunk-store.js';
import { forEachChunk } from './idb-model-source.js';
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
