/** Stores bytes already in memory (a small file such as manifest.json) as a complete file of the ChunkStore. */
import type { ChunkStore } from './chunk-store.js';
import { emptyFileRecord, type FileRecord } from './records.js';
import { Sha256, sha256Native } from './sha256.js';

export async function storeBytes(store: ChunkStore, id: string, path: string, bytes: Uint8Array, chunkSize: number): Promise<FileRecord> {
  let record = emptyFileRecord(path, chunkSize, bytes.length);
  await store.resetFile(id, record);
  const hasher = new Sha256();
  for (let index = 0; index * chunkSize < bytes.length; index++) {
    const chunk = bytes.slice(index * chunkSize, (index + 1) * chunkSize);
    hasher.update(chunk);
    record = { ...record, chunks: [...record.chunks, await sha256Native(chunk)], storedBytes: record.storedBytes + chunk.length };
    await store.commitChunk(id, record, index, chunk);
  }
  const complete: FileRecord = { ...record, sha256: hasher.hex(), complete: true };
  await store.putFile(id, complete);
  return complete;
}
