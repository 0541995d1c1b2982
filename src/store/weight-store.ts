/**
 * WeightStore: brings a model folder into the browser once and serves it from IndexedDB after
 * that, also offline.
 *
 *   const store = new WeightStore();
 *   const source = await store.ensure('https://huggingface.co/ORG/REPO/resolve/main/', { onProgress });
 *   // → a ModelSource over the stored files; no network on later visits
 *
 * download() runs a ModelDownload (model-download.ts: plan, quota, graphs and checks, files,
 * complete) unless the model is complete; open/list/get/delete/verify work on what is stored.
 *
 * One download per model at a time across tabs and workers (Web Locks, where available).
 */
import { IntegrityError, ModelFileMissingError } from '../core/errors.js';
import { ChunkStore } from './chunk-store.js';
import { fetchChunk } from './fetch-chunk.js';
import type { DownloadContext } from './file-download.js';
import { DEFAULT_RETRY, type FetchLike, type RetryOptions } from './http.js';
import { forEachChunk, IdbModelSource, type ChunkRepair } from './idb-model-source.js';
import { ModelDownload } from './model-download.js';
import { normaliseModelUrl } from '../engine/model/model-url.js';
import { ProgressTracker } from './progress.js';
import { defaultStorage, type StorageLike } from '../core/storage-estimate.js';
import type { ModelRecord, StoredModel } from './records.js';
import { Sha256 } from './sha256.js';
import {
  DEFAULT_CHUNK_SIZE,
  MAX_FILE_BYTES,
  type DownloadOptions,
  type DownloadPlan,
  type OpenOptions,
  type VerifyResult,
  type WeightStoreOptions,
} from './store-options.js';
import { describeModel, lacksSafetyChecker, readStoredFile } from './stored-model.js';

export { DEFAULT_CHUNK_SIZE, MAX_FILE_BYTES, type DownloadOptions, type DownloadPlan, type OpenOptions, type VerifyResult, type WeightStoreOptions };

export class WeightStore {
  readonly #store: ChunkStore;
  readonly #chunkSize: number;
  readonly #fetch: FetchLike;
  readonly #retry: RetryOptions;
  readonly #storage: StorageLike | undefined;
  readonly #progressIntervalMs: number;
  readonly #locks: Pick<LockManager, 'request'> | undefined;
  readonly #maxFileBytes: number;

  constructor(options: WeightStoreOptions = {}) {
    this.#store = new ChunkStore(options.dbName);
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(this.#chunkSize) || this.#chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${options.chunkSize}`);
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#storage = options.storage === null ? undefined : (options.storage ?? defaultStorage());
    this.#progressIntervalMs = options.progressIntervalMs ?? 100;
    this.#locks = options.locks === null ? undefined : (options.locks ?? (globalThis.navigator as { locks?: LockManager } | undefined)?.locks);
    this.#maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  }

  /** The id a model URL is stored under (its normalised base URL). */
  static idFor(baseUrl: string): string {
    return normaliseModelUrl(baseUrl);
  }

  /** Downloads what is missing of a model, verifies it, and returns a ModelSource over the stored copy. No network when it is complete. */
  async ensure(baseUrl: string, options: DownloadOptions = {}): Promise<IdbModelSource> {
    const model = await this.download(baseUrl, options);
    return this.open(model.id, options.signal ? { signal: options.signal } : {});
  }

  /** Stores a whole model folder (continuing a partial download); returns it as list() would. */
  async download(baseUrl: string, options: DownloadOptions = {}): Promise<StoredModel> {
    const id = normaliseModelUrl(baseUrl);
    return this.#locked(id, async () => {
      const existing = await this.#store.getModel(id);
      // A model stored with the safety checker off lacks it: turned on, the download continues for its files.
      if (existing?.complete && !(options.safetyChecker && (await lacksSafetyChecker(this.#store, existing)))) {
        const stored = await describeModel(this.#store, existing);
        const plan = this.#storedPlan(existing, stored);
        await options.checkFiles?.(plan);
        await options.check?.(plan);
        options.onProgress?.({ stage: 'done', id, total: stored.sizeBytes, fromCache: true });
        return stored;
      }
      const tracker = new ProgressTracker(id, null, options.onProgress, this.#progressIntervalMs);
      const ctx: DownloadContext = {
        store: this.#store,
        id,
        baseUrl: id,
        fetch: this.#fetch,
        chunkSize: this.#chunkSize,
        retry: this.#retry,
        progress: tracker,
      };
      if (options.signal) ctx.signal = options.signal;
      return new ModelDownload(ctx, options, { storage: this.#storage, maxFileBytes: this.#maxFileBytes }, existing).run();
    });
  }

  /** A stored model as a ModelSource. Damaged chunks are re-fetched unless `offline`. */
  async open(id: string, options: OpenOptions = {}): Promise<IdbModelSource> {
    const model = await this.#store.getModel(normaliseModelUrl(id));
    if (!model?.complete) {
      throw new ModelFileMissingError(
        model
          ? `The model ${model.name} is only partly stored. Download it again (it continues where it stopped) before using it.`
          : `No model is stored under ${id}. Download it first.`,
      );
    }
    const repair = options.offline ? undefined : this.#repairer(model, options);
    return new IdbModelSource(this.#store, model, await this.#store.listFiles(model.id), repair);
  }

  /** Stored models (complete or partial) with their sizes. */
  async list(): Promise<StoredModel[]> {
    const models = await this.#store.listModels();
    return Promise.all(models.map((model) => describeModel(this.#store, model)));
  }

  async get(id: string): Promise<StoredModel | undefined> {
    const model = await this.#store.getModel(normaliseModelUrl(id));
    return model && describeModel(this.#store, model);
  }

  /** Deletes a stored model (waits for a download of it to stop first). */
  async delete(id: string): Promise<void> {
    const key = normaliseModelUrl(id);
    await this.#locked(key, () => this.#store.deleteModel(key));
  }

  /** The engine refused these stored files as damaged: forget them, and the model counts as partly stored until they are fetched again. */
  async discard(id: string, paths: readonly string[]): Promise<void> {
    const model = await this.#store.getModel(normaliseModelUrl(id));
    if (!model) return;
    const { completedAt: _completed, ...rest } = model;
    await this.#store.putModel({ ...rest, complete: false });
    for (const path of paths) await this.#store.deleteFile(model.id, path);
  }

  /**
   * Re-reads every stored chunk, checks chunk digests and each file's whole SHA-256, and
   * re-fetches damaged chunks (unless offline). Throws IntegrityError for what cannot be repaired; a
   * file whose whole SHA-256 differs is discarded (the model is then partly stored, and the next
   * download fetches that file again).
   */
  async verify(id: string, options: OpenOptions = {}): Promise<VerifyResult> {
    const model = await this.#store.getModel(normaliseModelUrl(id));
    if (!model) throw new ModelFileMissingError(`No model is stored under ${id}. Download it first.`);
    const files = (await this.#store.listFiles(model.id)).filter((file) => file.complete);
    const total = files.reduce((sum, file) => sum + (file.size ?? 0), 0);
    const tracker = new ProgressTracker(model.id, total, options.onProgress, this.#progressIntervalMs);
    const repaired: VerifyResult['repaired'] = [];
    const repairer = options.offline ? undefined : this.#repairer(model, options);
    const repair: ChunkRepair | undefined =
      repairer && (async (record, index) => (repaired.push({ path: record.path, chunk: index }), repairer(record, index)));
    for (const file of files) {
      const hasher = new Sha256();
      await forEachChunk(this.#store, model.id, file, repair, (chunk) => {
        hasher.update(chunk);
        tracker.verify(file.path, hasher.length, file.size ?? 0);
      });
      if (hasher.hex() !== file.sha256) {
        // Not usable as it is: the model counts as partly stored until the file is fetched again.
        const { completedAt: _completed, ...rest } = model;
        await this.#store.putModel({ ...rest, complete: false });
        await this.#store.deleteFile(model.id, file.path);
        throw new IntegrityError(
          `${file.path} of ${model.name} does not match the SHA-256 recorded when it was stored. It was discarded, so downloading again fetches it afresh.`,
        );
      }
      tracker.fileDone(file.size ?? 0);
    }
    return { repaired };
  }

  #repairer(model: ModelRecord, options: OpenOptions): ChunkRepair {
    const ctx: Parameters<typeof fetchChunk>[0] = { fetch: this.#fetch, retry: this.#retry, baseUrl: model.baseUrl };
    if (options.signal) ctx.signal = options.signal;
    return async (record, index) => {
      options.onProgress?.({ stage: 'repair', id: model.id, file: record.path, chunk: index });
      const bytes = await fetchChunk(ctx, record, index);
      await this.#store.putChunk(model.id, record.path, index, bytes);
      return bytes;
    };
  }

  /** The plan of a complete model, for `check`. */
  #storedPlan(model: ModelRecord, stored: StoredModel): DownloadPlan {
    return {
      name: model.name,
      files: new Map(stored.files.map((file) => [file.path, file.size])),
      read: (path) => readStoredFile(this.#store, model.id, path),
    };
  }

  #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (!this.#locks) return fn();
    return this.#locks.request(`sd-weight-store:${this.#store.dbName}:${id}`, fn) as Promise<T>;
  }
}
