/**
 * A stored model as a ModelSource: every file is assembled from its IndexedDB chunks, each chunk
 * checked against the SHA-256 recorded when it was downloaded. No network access, unless a
 * `repair` function is given: then a damaged or missing chunk is re-fetched (by Range) and
 * stored again; without one it is an IntegrityError. Damaged bytes are never returned.
 *
 * Memory: the result buffer is allocated once at the recorded size and chunks are copied in one at
 * a time (the next chunk is read while the current one is checked), so the peak is the file plus
 * two chunks; that matters for unet/weights.pb (1.7 GB in SD v1.4 fp16).
 */
import { IntegrityError, ModelFileMissingError } from '../core/errors.js';
import type { ModelSource } from '../engine/model/model-source.js';
import { ChunkStore } from './chunk-store.js';
import type { FileRecord, ModelRecord } from './records.js';
import { sha256Native } from './sha256.js';

/** Fetches a good copy of chunk `index` of `record` (and stores it); throws when it cannot. */
export type ChunkRepair = (record: FileRecord, index: number) => Promise<Uint8Array>;

/** Visits a complete file's chunks in order, each verified (and repaired when `repair` is given). */
export async function forEachChunk(
  store: ChunkStore,
  id: string,
  record: FileRecord,
  repair: ChunkRepair | undefined,
  visit: (chunk: Uint8Array, index: number) => void,
): Promise<void> {
  const count = record.chunks.length;
  const size = record.size ?? record.storedBytes;
  let next = count > 0 ? store.getChunk(id, record.path, 0) : undefined;
  for (let index = 0; index < count; index++) {
    let chunk = await next!;
    next = index + 1 < count ? store.getChunk(id, record.path, index + 1) : undefined;
    const expectedLength = Math.min(record.chunkSize, size - index * record.chunkSize);
    const good = chunk !== undefined && chunk.length === expectedLength && (await sha256Native(chunk)) === record.chunks[index];
    if (!good) {
      if (!repair) {
        throw new IntegrityError(
          `Chunk ${index} of ${record.path} in the stored model is ${chunk ? 'damaged' : 'missing'} and there is no network to re-fetch it. ` +
            'Go online so it can be repaired, or delete the model and download it again.',
        );
      }
      chunk = await repair(record, index);
    }
    visit(chunk!, index);
  }
}

export class IdbModelSource implements ModelSource {
  readonly name: string;
  readonly id: string;
  readonly #store: ChunkStore;
  readonly #files: Map<string, FileRecord>;
  readonly #repair: ChunkRepair | undefined;

  /** Opens a completely stored model for reading without any network access. */
  static async open(id: string, options: { dbName?: string; repair?: ChunkRepair } = {}): Promise<IdbModelSource> {
    const store = new ChunkStore(options.dbName);
    const model = await store.getModel(id);
    if (!model?.complete) {
      throw new ModelFileMissingError(
        model
          ? `The model ${model.name} is only partly stored. Download it again (it continues where it stopped) before using it.`
          : `No model is stored under ${id}. Download it first.`,
      );
    }
    return new IdbModelSource(store, model, await store.listFiles(id), options.repair);
  }

  constructor(store: ChunkStore, model: ModelRecord, files: FileRecord[], repair?: ChunkRepair) {
    this.#store = store;
    this.id = model.id;
    this.name = model.name;
    this.#files = new Map(files.filter((file) => file.complete).map((file) => [file.path, file]));
    this.#repair = repair;
  }

  /** The stored files and their sizes. */
  get files(): { path: string; size: number }[] {
    return [...this.#files.values()].map((file) => ({ path: file.path, size: file.size ?? file.storedBytes }));
  }

  async has(path: string): Promise<boolean> {
    return this.#files.has(path);
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const record = this.#files.get(path);
    if (!record) {
      throw new ModelFileMissingError(`The stored model ${this.name} has no ${path}. The model folder lacks it; use a complete diffusers ONNX export.`);
    }
    const out = new Uint8Array(record.size ?? record.storedBytes);
    await forEachChunk(this.#store, this.id, record, this.#repair, (chunk, index) => out.set(chunk, index * record.chunkSize));
    return out;
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }
}
