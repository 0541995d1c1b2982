/**
 * WeightStore: brings a model folder into the browser once and serves it from IndexedDB after
 * that, also offline.
 *
 *   const store = new WeightStore();
 *   const source = await store.ensure('https://huggingface.co/ORG/REPO/resolve/main/', { onProgress });
 *   // → a ModelSource over the stored files; no network on later visits
 *
 * download() steps:
 *   1. manifest.json (optional) → sizes and SHA-256 digests
 *   2. model_index.json → which files the folder has (model-files.ts); without a manifest, HEAD
 *      requests find optional files and sizes, so a missing required file fails before 2 GB move
 *   3. quota check (navigator.storage.estimate) and persist() request
 *   4a. each part's graph (model.onnx) first: the external-data files it names (any names, several
 *      files, src/core/onnx/external-data.ts) join the plan, files shorter than the graph reads are
 *      refused, and the caller's `check` (e.g. the engine's: wrong backend, fp16 without shader-f16,
 *      too large for the wasm heap or a GPU buffer) may refuse the model before its weights move
 *   4b. the other files streamed into chunks (downloader.ts), smallest first so wrong URLs fail fast
 *   5. the model record is marked complete only after every file verified
 *
 * One download per model at a time across tabs and workers (Web Locks, where available).
 */
import { CancelledError, IntegrityError, ModelFileMissingError, ModelFormatError, NetworkError } from '../core/errors.js';
import { ChunkStore } from './chunk-store.js';
import { downloadFile, fetchChunk, storeBytes, type DownloadContext } from './downloader.js';
import { externalDataFiles } from '../core/onnx/external-data.js';
import { checkFileStart } from './file-format.js';
import { contentLength, DEFAULT_RETRY, fetchChecked, withRetry, type FetchLike, type RetryOptions } from './http.js';
import { forEachChunk, IdbModelSource, type ChunkRepair } from './idb-model-source.js';
import { MANIFEST_PATH, parseManifest, type Manifest } from './manifest.js';
import { MODEL_INDEX_PATH, modelFiles, SAFETY_CHECKER_FILE, type ModelFile } from './model-files.js';
import { fileUrl, modelNameFromUrl, normaliseModelUrl } from './model-url.js';
import { ProgressTracker, type ProgressCallback } from './progress.js';
import { checkQuota, defaultStorage, formatBytes, requestPersistence, translateQuotaError, type StorageLike } from './quota.js';
import type { FileRecord, ModelRecord, StoredModel } from './records.js';
import { Sha256 } from './sha256.js';

/** 16 MiB: far below every browser's per-value limits, large enough that a 1.7 GB file is ~100 records. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

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

/**
 * 2 GiB: Chromium cannot allocate one ArrayBuffer much larger (about 2.15 GB), and onnxruntime-web
 * stages external data through one buffer; a bigger file (e.g. an fp32 SD v1.4 UNet's 3.4 GB
 * weights.pb) would download for minutes and then fail to load, so it is refused up front.
 */
export const MAX_FILE_BYTES = 2 ** 31;

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

  #checkFileSizes(name: string, sizes: Map<string, number | null>): void {
    for (const [path, size] of sizes) {
      if (size !== null && size > this.#maxFileBytes) {
        throw new ModelFormatError(
          `${name}/${path} is ${formatBytes(size)}, more than the ${formatBytes(this.#maxFileBytes)} a browser can load as one buffer. ` +
            'Use an fp16 export of this model (tools/prepare_model.py makes one) or one whose weights are split into smaller files.',
        );
      }
    }
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
      if (existing?.complete && !(options.safetyChecker && !existing.files.includes(SAFETY_CHECKER_FILE) && (await this.#listsSafetyChecker(id)))) {
        const stored = await this.#describe(existing);
        const plan = this.#storedPlan(existing, stored);
        await options.checkFiles?.(plan);
        await options.check?.(plan);
        options.onProgress?.({ stage: 'done', id, total: stored.sizeBytes, fromCache: true });
        return stored;
      }
      const name = modelNameFromUrl(id);
      const tracker = new ProgressTracker(id, null, options.onProgress, this.#progressIntervalMs);
      const ctx: DownloadContext = { store: this.#store, id, baseUrl: id, fetch: this.#fetch, chunkSize: this.#chunkSize, retry: this.#retry, progress: tracker };
      if (options.signal) ctx.signal = options.signal;
      let storedBytes = 0;
      let totalBytes = 0;
      try {
        // 1-2. What the folder has.
        const manifest = await this.#fetchManifest(ctx);
        const indexEntry = manifest?.files.find((file) => file.path === MODEL_INDEX_PATH);
        const indexRecord = await downloadFile(ctx, { path: MODEL_INDEX_PATH, required: true, ...indexEntry });
        const indexText = new TextDecoder().decode(await this.#assemble(id, indexRecord));
        const files = modelFiles(indexText, fileUrl(id, MODEL_INDEX_PATH), manifest, { safetyChecker: options.safetyChecker ?? false });
        const stored = new Map((await this.#store.listFiles(id)).map((file) => [file.path, file]));
        const probed = new Map<string, number>();
        const sizes = await this.#plan(ctx, files, stored, !manifest, probed);
        await options.checkFiles?.({ name, files: sizes });
        const present = files.filter((file) => sizes.has(file.path));
        const storedSoFar = () => present.reduce((sum, file) => sum + (stored.get(file.path)?.storedBytes ?? 0), indexRecord.size ?? 0);
        const record: ModelRecord = {
          id,
          name,
          baseUrl: id,
          files: [],
          totalBytes: null,
          hasManifest: !!manifest,
          complete: false,
          createdAt: existing?.createdAt ?? Date.now(),
        };
        const describeFiles = async () => {
          record.files = [MODEL_INDEX_PATH, ...(manifest ? [MANIFEST_PATH] : []), ...present.map((file) => file.path)];
          totalBytes = [...sizes.values()].reduce<number>((sum, size) => sum + (size ?? 0), indexRecord.size ?? 0);
          record.totalBytes = [...sizes.values()].every((size) => size !== null) ? totalBytes : null;
          await this.#store.putModel(record);
          this.#checkFileSizes(name, sizes);
        };
        await describeFiles();

        // 3. Room for it (again below for external-data files found in the graphs).
        await checkQuota(totalBytes - storedSoFar(), name, this.#storage);
        if (this.#storage) record.persisted = await requestPersistence(this.#storage);
        tracker.setTotal(record.totalBytes);
        tracker.fileDone(indexRecord.size ?? 0);

        // 4a. The graphs (small where the weights are external data), then the external-data files
        // they name (any names, any number), so that `check` can refuse a model this backend cannot
        // run before its weights move.
        const graphs = new Map<string, Uint8Array>();
        for (const file of present.filter((f) => f.path.endsWith('.onnx'))) {
          let done: FileRecord;
          try {
            done = await this.#downloadVerified(ctx, file, probed.get(file.path) ?? null);
          } catch (error) {
            if (file.required || !(error instanceof ModelFileMissingError)) throw error;
            await this.#store.deleteFile(id, file.path); // optional and absent (HEAD was inconclusive)
            present.splice(present.indexOf(file), 1);
            sizes.delete(file.path);
            continue;
          }
          stored.set(file.path, done);
          graphs.set(file.path, await this.#assemble(id, done));
          tracker.fileDone(done.size ?? 0);
        }
        const named = externalFilesOf(graphs, present, manifest);
        // The layout's optional unet/weights.pb is only fetched when the graph names it.
        for (const file of present.filter((f) => !f.required && f.path.endsWith('/weights.pb') && graphs.has(f.path.replace(/weights\.pb$/, 'model.onnx')))) {
          present.splice(present.indexOf(file), 1);
          sizes.delete(file.path);
          await describeFiles();
        }
        if (named.length > 0) {
          for (const [path, size] of await this.#plan(ctx, named, stored, !manifest, probed)) sizes.set(path, size);
          present.push(...named.filter((file) => sizes.has(file.path)));
          await describeFiles();
          await checkQuota(totalBytes - storedSoFar(), name, this.#storage);
          tracker.setTotal(record.totalBytes);
        }
        const short = shortExternalFile(graphs, sizes);
        if (short) {
          // A tiny stand-in (a git-lfs pointer, an HTML page) is fetched so the error names what it is.
          const file = present.find((f) => f.path === short.path);
          if (file && short.size <= STAND_IN_MAX_BYTES) await this.#downloadVerified(ctx, file, short.size);
          throw new ModelFormatError(
            `${name}/${short.path} is ${formatBytes(short.size)} but ${short.graphPath} reads ${formatBytes(short.bytesUsed)} from it: the server's copy is incomplete or from another export. Upload the folder again.`,
          );
        }
        await options.check?.({ name, files: sizes, read: async (path) => graphs.get(path) ?? this.#assemble(id, (await this.#store.getFile(id, path)) ?? missing(path)) });
        const fetchedGraphs = new Set(graphs.keys());
        graphs.clear();
        storedBytes = storedSoFar();

        // 4b. The other files, smallest first.
        present.sort((a, b) => (sizes.get(a.path) ?? Infinity) - (sizes.get(b.path) ?? Infinity));
        for (const file of present) {
          if (fetchedGraphs.has(file.path)) continue;
          const before = stored.get(file.path);
          let done: FileRecord;
          try {
            done = await this.#downloadVerified(ctx, file, probed.get(file.path) ?? null);
          } catch (error) {
            // An optional file whose HEAD was inconclusive (e.g. 405) and whose GET says 404: the folder lacks it.
            if (file.required || !(error instanceof ModelFileMissingError)) throw error;
            await this.#store.deleteFile(id, file.path);
            record.files = record.files.filter((path) => path !== file.path);
            continue;
          }
          storedBytes += (done.size ?? 0) - (before?.storedBytes ?? 0);
          tracker.fileDone(done.size ?? 0);
        }

        // 5. Complete.
        record.complete = true;
        record.completedAt = Date.now();
        await this.#store.putModel(record);
        const result = await this.#describe(record);
        options.onProgress?.({ stage: 'done', id, total: result.sizeBytes, fromCache: false });
        return result;
      } catch (error) {
        throw await translateQuotaError(error, { what: name, storedBytes, totalBytes }, this.#storage);
      }
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
    return Promise.all(models.map((model) => this.#describe(model)));
  }

  async get(id: string): Promise<StoredModel | undefined> {
    const model = await this.#store.getModel(normaliseModelUrl(id));
    return model && this.#describe(model);
  }

  /** Deletes a stored model (waits for a download of it to stop first). */
  async delete(id: string): Promise<void> {
    const key = normaliseModelUrl(id);
    await this.#locked(key, () => this.#store.deleteModel(key));
  }

  /**
   * Re-reads every stored chunk, checks chunk digests and each file's whole SHA-256, and
   * re-fetches damaged chunks (unless offline). Throws IntegrityError for what cannot be repaired.
   */
  async verify(id: string, options: OpenOptions = {}): Promise<VerifyResult> {
    const model = await this.#store.getModel(normaliseModelUrl(id));
    if (!model) throw new ModelFileMissingError(`No model is stored under ${id}. Download it first.`);
    const files = (await this.#store.listFiles(model.id)).filter((file) => file.complete);
    const total = files.reduce((sum, file) => sum + (file.size ?? 0), 0);
    const tracker = new ProgressTracker(model.id, total, options.onProgress, this.#progressIntervalMs);
    const repaired: VerifyResult['repaired'] = [];
    const repairer = options.offline ? undefined : this.#repairer(model, options);
    const repair: ChunkRepair | undefined = repairer && (async (record, index) => (repaired.push({ path: record.path, chunk: index }), repairer(record, index)));
    for (const file of files) {
      const hasher = new Sha256();
      await forEachChunk(this.#store, model.id, file, repair, (chunk) => {
        hasher.update(chunk);
        tracker.verify(file.path, hasher.length, file.size ?? 0);
      });
      if (hasher.hex() !== file.sha256) {
        throw new IntegrityError(`${file.path} of ${model.name} does not match the SHA-256 recorded when it was stored. Delete the model and download it again.`);
      }
      tracker.fileDone(file.size ?? 0);
    }
    return { repaired };
  }

  async #downloadVerified(ctx: DownloadContext, file: ModelFile, probedSize: number | null): Promise<FileRecord> {
    try {
      return await downloadFile(ctx, file, probedSize);
    } catch (error) {
      // One fresh attempt after a failed integrity check (the bad copy was discarded); a second failure is reported.
      if (!(error instanceof IntegrityError)) throw error;
      return downloadFile(ctx, file, probedSize);
    }
  }

  /** manifest.json, when the folder has one (404, or an HTML fallback page, means none). */
  async #fetchManifest(ctx: DownloadContext): Promise<Manifest | undefined> {
    const stored = await this.#store.getFile(ctx.id, MANIFEST_PATH);
    if (stored?.complete) return parseManifest(new TextDecoder().decode(await this.#assemble(ctx.id, stored)), fileUrl(ctx.id, MANIFEST_PATH));
    const url = fileUrl(ctx.id, MANIFEST_PATH);
    const init: RequestInit = { cache: 'no-store' };
    if (ctx.signal) init.signal = ctx.signal;
    // First contact with the server: one retry only, so a wrong URL or missing CORS fails quickly.
    const text = await withRetry(
      async () => {
        try {
          const response = await fetchChecked(ctx.fetch, url, MANIFEST_PATH, init);
          if ((response.headers.get('content-type') ?? '').includes('text/html')) return undefined;
          return await response.text();
        } catch (error) {
          // 404, or a refusal (S3 answers 403 for objects that do not exist): no manifest. A gated
          // repository refuses model_index.json too, and that error says so.
          if (error instanceof ModelFileMissingError || error instanceof NetworkError) return undefined;
          throw error;
        }
      },
      { ...this.#retry, attempts: Math.min(1, this.#retry.attempts) },
      ctx.signal,
      (attempt, delayMs, reason) => ctx.progress.emit({ stage: 'retry', id: ctx.id, file: MANIFEST_PATH, attempt, maxAttempts: 1, delayMs, reason }),
    );
    if (text === undefined || /^\s*</.test(text)) return undefined;
    const manifest = parseManifest(text, url);
    await storeBytes(this.#store, ctx.id, MANIFEST_PATH, new TextEncoder().encode(text), this.#chunkSize);
    return manifest;
  }

  /**
   * The files that exist and their sizes (null: unknown). With a manifest, that is the manifest;
   * without, a HEAD request per file not yet stored, whose Content-Length goes into `probed` (the
   * size the download must reach).
   */
  async #plan(ctx: DownloadContext, files: ModelFile[], stored: Map<string, FileRecord>, probe: boolean, probed: Map<string, number>): Promise<Map<string, number | null>> {
    const sizes = new Map<string, number | null>();
    await Promise.all(
      files.map(async (file) => {
        const record = stored.get(file.path);
        if (file.size !== undefined || record?.complete || !probe) {
          sizes.set(file.path, file.size ?? record?.size ?? null);
          return;
        }
        const url = fileUrl(ctx.id, file.path);
        const init: RequestInit = { method: 'HEAD', cache: 'no-store' };
        if (ctx.signal) init.signal = ctx.signal;
        try {
          const response = await fetchChecked(ctx.fetch, url, file.path, init);
          const type = response.headers.get('content-type') ?? '';
          if (type.includes('text/html')) {
            // Static hosts with an SPA fallback answer 200 + index.html for files they lack.
            if (!file.required) return;
            checkFileStart(file.path, new TextEncoder().encode('<html>'), url);
          }
          const size = contentLength(response);
          if (size !== null) probed.set(file.path, size);
          sizes.set(file.path, size ?? record?.size ?? null);
        } catch (error) {
          if (error instanceof CancelledError || error instanceof ModelFormatError) throw error;
          if (error instanceof ModelFileMissingError) {
            if (file.required) throw error;
            return;
          }
          sizes.set(file.path, record?.size ?? null); // HEAD not allowed or flaky: the GET will tell
        }
      }),
    );
    return sizes;
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
  /** Whether the stored model_index.json lists a safety checker. */
  async #listsSafetyChecker(id: string): Promise<boolean> {
    const index = (await this.#store.listFiles(id)).find((file) => file.path === MODEL_INDEX_PATH);
    if (!index?.complete) return false;
    const text = new TextDecoder().decode(await this.#assemble(id, index));
    return modelFiles(text, MODEL_INDEX_PATH, undefined, { safetyChecker: true }).some((file) => file.path === SAFETY_CHECKER_FILE);
  }

  #storedPlan(model: ModelRecord, stored: StoredModel): DownloadPlan {
    return {
      name: model.name,
      files: new Map(stored.files.map((file) => [file.path, file.size])),
      read: async (path) => this.#assemble(model.id, (await this.#store.getFile(model.id, path)) ?? missing(path)),
    };
  }

  async #assemble(id: string, record: FileRecord): Promise<Uint8Array> {
    const out = new Uint8Array(record.size ?? record.storedBytes);
    await forEachChunk(this.#store, id, record, undefined, (chunk, index) => out.set(chunk, index * record.chunkSize));
    return out;
  }

  async #describe(model: ModelRecord): Promise<StoredModel> {
    const files = await this.#store.listFiles(model.id);
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

  #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (!this.#locks) return fn();
    return this.#locks.request(`sd-weight-store:${this.#store.dbName}:${id}`, fn) as Promise<T>;
  }
}

function missing(path: string): never {
  throw new ModelFileMissingError(`The model has no ${path}.`);
}

/**
 * The external-data files the graphs name (`<part>/<location>`) that the folder's fixed layout does
 * not already list, required; with a manifest each must be in it (size and digest).
 */
function externalFilesOf(graphs: ReadonlyMap<string, Uint8Array>, listed: readonly ModelFile[], manifest: Manifest | undefined): ModelFile[] {
  const known = new Set(listed.map((file) => file.path));
  const out: ModelFile[] = [];
  for (const [graphPath, bytes] of graphs) {
    const folder = graphPath.slice(0, graphPath.lastIndexOf('/') + 1);
    for (const { location } of externalDataFiles(bytes, graphPath)) {
      const path = folder + location;
      if (known.has(path)) {
        const entry = listed.find((file) => file.path === path)!;
        entry.required = true; // e.g. unet/weights.pb, optional in the layout, named by this graph
        continue;
      }
      known.add(path);
      if (!manifest) {
        out.push({ path, required: true });
        continue;
      }
      const entry = manifest.files.find((file) => file.path === path);
      if (!entry) {
        throw new ModelFileMissingError(`${graphPath} keeps weights in ${location}, which the model's manifest.json does not list. Regenerate the manifest with tools/make-manifest.ts.`);
      }
      out.push({ path, required: true, size: entry.size, sha256: entry.sha256 });
    }
  }
  return out;
}

/** Files this small that stand where weights should be are sniffed for what they are (git-lfs pointers are ~130 bytes). */
const STAND_IN_MAX_BYTES = 1024;

/** The first external-data file shorter than the bytes its graph reads from it (refused before its weights download). */
function shortExternalFile(
  graphs: ReadonlyMap<string, Uint8Array>,
  sizes: ReadonlyMap<string, number | null>,
): { path: string; size: number; bytesUsed: number; graphPath: string } | undefined {
  for (const [graphPath, bytes] of graphs) {
    const folder = graphPath.slice(0, graphPath.lastIndexOf('/') + 1);
    for (const { location, bytesUsed } of externalDataFiles(bytes, graphPath)) {
      const path = folder + location;
      const size = sizes.get(path);
      if (size != null && bytesUsed !== null && size < bytesUsed) return { path, size, bytesUsed, graphPath };
    }
  }
  return undefined;
}
