/**
 * One download of a model folder into the ChunkStore (WeightStore.download runs it under the
 * model's lock), step by step:
 *   1. manifest.json (optional) → sizes and SHA-256 digests
 *   2. model_index.json → which files the folder has (model-files.ts); without a manifest, HEAD
 *      requests find optional files and sizes (probe-sizes.ts), so a missing required file fails
 *      before 2 GB move
 *   3. quota check (navigator.storage.estimate) and persist() request
 *   4a. each part's graph (model.onnx) first: the external-data files it names join the plan
 *      (external-files.ts), files shorter than the graph reads are refused, and the caller's `check`
 *      (e.g. the engine's: wrong backend, fp16 without shader-f16, too large for the wasm heap or a
 *      GPU buffer) may refuse the model before its weights move
 *   4b. the other files streamed into chunks (file-download.ts), smallest first so wrong URLs fail
 *      fast; each JSON file must parse
 *   A file whose content a step finds wrong is discarded before the error is thrown, so the next
 *   download fetches it again instead of refusing the same stored copy.
 *   5. the model record is marked complete only after every file verified
 */
import { IntegrityError, ModelFileMissingError, ModelFormatError } from '../core/errors.js';
import type { ChunkStore } from './chunk-store.js';
import { externalDataFiles, type ExternalDataFile } from '../core/onnx/external-data.js';
import { externalFilesOf, shortExternalFile, STAND_IN_MAX_BYTES } from './external-files.js';
import { fetchManifest } from './fetch-manifest.js';
import { checkJsonFile } from './file-format.js';
import { downloadFile, type DownloadContext } from './file-download.js';
import { MANIFEST_PATH, type Manifest } from './manifest.js';
import { checkTokenizerFiles, MODEL_INDEX_PATH, modelFiles, type ModelFile } from './model-files.js';
import { fileUrl, modelNameFromUrl } from '../engine/model/model-url.js';
import { probeSizes } from './probe-sizes.js';
import type { ProgressTracker } from './progress.js';
import { formatBytes } from '../core/format-bytes.js';
import type { StorageLike } from '../core/storage-estimate.js';
import { checkQuota, requestPersistence, translateQuotaError } from './quota.js';
import type { FileRecord, ModelRecord, StoredModel } from './records.js';
import type { DownloadOptions } from './store-options.js';
import { assembleFile, describeModel, readStoredFile } from './stored-model.js';

export interface ModelDownloadSettings {
  storage: StorageLike | undefined;
  maxFileBytes: number;
}

export class ModelDownload {
  readonly #ctx: DownloadContext;
  readonly #store: ChunkStore;
  readonly #id: string;
  readonly #name: string;
  readonly #options: DownloadOptions;
  readonly #settings: ModelDownloadSettings;
  readonly #tracker: ProgressTracker;
  readonly #record: ModelRecord;
  #manifest: Manifest | undefined;
  #indexRecord!: FileRecord;
  /** The files that exist (planned, then confirmed by each download). */
  #present: ModelFile[] = [];
  #sizes = new Map<string, number | null>();
  #stored = new Map<string, FileRecord>();
  /** Sizes HEAD requests reported this session. */
  readonly #probed = new Map<string, number>();
  #storedBytes = 0;
  #totalBytes = 0;

  constructor(ctx: DownloadContext, options: DownloadOptions, settings: ModelDownloadSettings, existing: ModelRecord | undefined) {
    this.#ctx = ctx;
    this.#store = ctx.store;
    this.#id = ctx.id;
    this.#name = modelNameFromUrl(ctx.id);
    this.#options = options;
    this.#settings = settings;
    this.#tracker = ctx.progress;
    this.#record = {
      id: ctx.id,
      name: this.#name,
      baseUrl: ctx.id,
      files: [],
      totalBytes: null,
      hasManifest: false,
      complete: false,
      createdAt: existing?.createdAt ?? Date.now(),
    };
  }

  async run(): Promise<StoredModel> {
    try {
      await this.#listFiles();
      await this.#reserve();
      const graphs = await this.#fetchGraphs();
      await this.#addExternalFiles(graphs);
      const check = this.#options.check;
      if (check)
        await this.#discardOnFailure([...graphs.keys()], () =>
          check({ name: this.#name, files: this.#sizes, read: async (path) => graphs.get(path) ?? readStoredFile(this.#store, this.#id, path) }),
        );
      const fetchedGraphs = new Set(graphs.keys());
      graphs.clear();
      this.#storedBytes = this.#storedSoFar();
      await this.#fetchRest(fetchedGraphs);
      return await this.#complete();
    } catch (error) {
      // A file that fails its manifest's digest or size may be the manifest's fault: fetch it again next time.
      if (error instanceof IntegrityError && this.#manifest) await this.#store.deleteFile(this.#id, MANIFEST_PATH);
      throw await translateQuotaError(error, { what: this.#name, storedBytes: this.#storedBytes, totalBytes: this.#totalBytes }, this.#settings.storage);
    }
  }

  /** 1-2. What the folder has: manifest, model_index.json, HEAD probes; the model record. */
  async #listFiles(): Promise<void> {
    const manifest = (this.#manifest = await fetchManifest(this.#ctx));
    const indexEntry = manifest?.files.find((file) => file.path === MODEL_INDEX_PATH);
    this.#indexRecord = await downloadFile(this.#ctx, { path: MODEL_INDEX_PATH, required: true, ...indexEntry });
    const indexText = new TextDecoder().decode(await assembleFile(this.#store, this.#id, this.#indexRecord));
    const files = await this.#discardOnFailure([MODEL_INDEX_PATH], () =>
      modelFiles(indexText, fileUrl(this.#id, MODEL_INDEX_PATH), manifest, { safetyChecker: this.#options.safetyChecker ?? false }),
    );
    this.#stored = new Map((await this.#store.listFiles(this.#id)).map((file) => [file.path, file]));
    this.#sizes = await probeSizes(this.#ctx, files, this.#stored, !manifest, this.#probed);
    checkTokenizerFiles((path) => this.#sizes.has(path), this.#name);
    await this.#options.checkFiles?.({ name: this.#name, files: this.#sizes });
    this.#present = files.filter((file) => this.#sizes.has(file.path));
    this.#record.hasManifest = !!manifest;
    await this.#describeFiles();
  }

  /** 3. Room for it (again for external-data files found in the graphs). */
  async #reserve(): Promise<void> {
    const storage = this.#settings.storage;
    await checkQuota(this.#totalBytes - this.#storedSoFar(), this.#name, storage);
    if (storage) this.#record.persisted = await requestPersistence(storage);
    this.#tracker.setTotal(this.#record.totalBytes);
    this.#tracker.fileDone(this.#indexRecord.size ?? 0);
  }

  /** 4a. The graphs (small where the weights are external data), stored and kept in memory for the checks. */
  async #fetchGraphs(): Promise<Map<string, Uint8Array>> {
    const graphs = new Map<string, Uint8Array>();
    for (const file of this.#present.filter((f) => f.path.endsWith('.onnx'))) {
      let done: FileRecord;
      try {
        done = await this.#downloadVerified(file);
      } catch (error) {
        if (file.required || !(error instanceof ModelFileMissingError)) throw error;
        await this.#store.deleteFile(this.#id, file.path); // optional and absent (HEAD was inconclusive)
        this.#present.splice(this.#present.indexOf(file), 1);
        this.#sizes.delete(file.path);
        continue;
      }
      this.#stored.set(file.path, done);
      graphs.set(file.path, await assembleFile(this.#store, this.#id, done));
      this.#tracker.fileDone(done.size ?? 0);
    }
    return graphs;
  }

  /**
   * 4a. The external-data files the graphs name (any names, any number) join the plan; the layout's
   * optional unet/weights.pb is only fetched when the graph names it; a file shorter than its graph
   * reads is refused before the weights move.
   */
  async #addExternalFiles(graphs: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const present = this.#present;
    const external = new Map<string, ExternalDataFile[]>();
    for (const [path, bytes] of graphs) external.set(path, await this.#discardOnFailure([path], () => externalDataFiles(bytes, path)));
    const named = externalFilesOf(external, present, this.#manifest);
    for (const file of present.filter((f) => !f.required && f.path.endsWith('/weights.pb') && graphs.has(f.path.replace(/weights\.pb$/, 'model.onnx')))) {
      present.splice(present.indexOf(file), 1);
      this.#sizes.delete(file.path);
      await this.#describeFiles();
    }
    if (named.length > 0) {
      for (const [path, size] of await probeSizes(this.#ctx, named, this.#stored, !this.#manifest, this.#probed)) this.#sizes.set(path, size);
      present.push(...named.filter((file) => this.#sizes.has(file.path)));
      await this.#describeFiles();
      await checkQuota(this.#totalBytes - this.#storedSoFar(), this.#name, this.#settings.storage);
      this.#tracker.setTotal(this.#record.totalBytes);
    }
    const short = shortExternalFile(external, this.#sizes);
    if (short) {
      // Either file may be the wrong one; both are fetched again next time.
      await this.#discardOnFailure([short.path, short.graphPath], async () => {
        // A tiny stand-in (a git-lfs pointer, an HTML page) is fetched so the error names what it is.
        const file = present.find((f) => f.path === short.path);
        if (file && short.size <= STAND_IN_MAX_BYTES) await this.#downloadVerified(file, short.size);
        throw new ModelFormatError(
          `${this.#name}/${short.path} is ${formatBytes(short.size)} but ${short.graphPath} reads ${formatBytes(short.bytesUsed)} from it: the server's copy is incomplete or from another export. Upload the folder again.`,
        );
      });
    }
  }

  /** 4b. The other files, smallest first. */
  async #fetchRest(fetchedGraphs: ReadonlySet<string>): Promise<void> {
    const sizes = this.#sizes;
    this.#present.sort((a, b) => (sizes.get(a.path) ?? Infinity) - (sizes.get(b.path) ?? Infinity));
    for (const file of this.#present) {
      if (fetchedGraphs.has(file.path)) continue;
      const before = this.#stored.get(file.path);
      let done: FileRecord;
      try {
        done = await this.#downloadVerified(file);
      } catch (error) {
        // An optional file whose HEAD was inconclusive (e.g. 405) and whose GET says 404: the folder lacks it.
        if (file.required || !(error instanceof ModelFileMissingError)) throw error;
        await this.#store.deleteFile(this.#id, file.path);
        this.#record.files = this.#record.files.filter((path) => path !== file.path);
        continue;
      }
      if (file.path.endsWith('.json')) {
        const bytes = await assembleFile(this.#store, this.#id, done);
        await this.#discardOnFailure([file.path], () => checkJsonFile(file.path, bytes, fileUrl(this.#id, file.path)));
      }
      this.#storedBytes += (done.size ?? 0) - (before?.storedBytes ?? 0);
      this.#tracker.fileDone(done.size ?? 0);
    }
    // Files whose HEAD was inconclusive may have turned out absent.
    checkTokenizerFiles((path) => this.#record.files.includes(path), this.#name);
  }

  /** 5. Complete. */
  async #complete(): Promise<StoredModel> {
    this.#record.complete = true;
    this.#record.completedAt = Date.now();
    await this.#store.putModel(this.#record);
    const result = await describeModel(this.#store, this.#record);
    this.#options.onProgress?.({ stage: 'done', id: this.#id, total: result.sizeBytes, fromCache: false });
    return result;
  }

  /**
   * Runs `fn`; when it finds the content of stored files wrong (ModelFormatError, IntegrityError),
   * discards those files before rethrowing, so that the next download fetches them again instead of
   * refusing the same stored copy forever.
   */
  async #discardOnFailure<T>(paths: readonly string[], fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ModelFormatError || error instanceof IntegrityError) {
        for (const path of paths) await this.#store.deleteFile(this.#id, path);
      }
      throw error;
    }
  }

  #storedSoFar(): number {
    return this.#present.reduce((sum, file) => sum + (this.#stored.get(file.path)?.storedBytes ?? 0), this.#indexRecord.size ?? 0);
  }

  /** Writes the model record with the current file list and total, and refuses files too large for one browser buffer. */
  async #describeFiles(): Promise<void> {
    const sizes = this.#sizes;
    this.#record.files = [MODEL_INDEX_PATH, ...(this.#manifest ? [MANIFEST_PATH] : []), ...this.#present.map((file) => file.path)];
    this.#totalBytes = [...sizes.values()].reduce<number>((sum, size) => sum + (size ?? 0), this.#indexRecord.size ?? 0);
    this.#record.totalBytes = [...sizes.values()].every((size) => size !== null) ? this.#totalBytes : null;
    await this.#store.putModel(this.#record);
    this.#checkFileSizes();
  }

  #checkFileSizes(): void {
    const max = this.#settings.maxFileBytes;
    for (const [path, size] of this.#sizes) {
      if (size !== null && size > max) {
        throw new ModelFormatError(
          `${this.#name}/${path} is ${formatBytes(size)}, more than the ${formatBytes(max)} a browser can load as one buffer. ` +
            'Use an fp16 export of this model (tools/prepare_model.py makes one) or one whose weights are split into smaller files.',
        );
      }
    }
  }

  async #downloadVerified(file: ModelFile, probedSize = this.#probed.get(file.path) ?? null): Promise<FileRecord> {
    try {
      return await downloadFile(this.#ctx, file, probedSize);
    } catch (error) {
      // One fresh attempt after a failed integrity check (the bad copy was discarded); a second failure is reported.
      if (!(error instanceof IntegrityError)) throw error;
      return downloadFile(this.#ctx, file, probedSize);
    }
  }
}
