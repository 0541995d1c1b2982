/**
 * The gallery's history in IndexedDB (idb-keyval, in a database of its own, apart from the model
 * weights): each image as its PNG (which carries the A1111 `parameters` chunk) plus the request that
 * made it and the model's name, newest first. Entries stored before the request model (with A1111
 * `parameters` instead) are read as requests. PNGs are stored as Blobs, which browsers keep out of line, so listing the
 * history does not read every image into memory. The oldest entries go past `maxEntries`.
 */
import { createStore, del, delMany, entries, set, type UseStore } from 'idb-keyval';
import type { GenerationParameters } from '../core/parameters.js';
import type { ResolvedRequest } from '../engine/request/request.js';
import { schedulerForSampler } from './parameter-restore.js';

export interface GalleryEntry {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  width: number;
  height: number;
  /** What made the image (diffusers' names, every default filled in). */
  request: ResolvedRequest;
  /** The model's name (its folder). */
  model: string;
  /** image/png with the `parameters` text chunk. */
  png: Blob;
}

/** An entry as older versions stored it (A1111 parameters, sampler as a label). */
type LegacyEntry = Omit<GalleryEntry, 'request' | 'model'> & { parameters: GenerationParameters };

function fromLegacy(entry: GalleryEntry | LegacyEntry): GalleryEntry {
  if (!('parameters' in entry)) return entry;
  const { parameters: p, ...rest } = entry;
  const scheduler = schedulerForSampler(p.sampler) ?? 'pndm';
  const request: ResolvedRequest = {
    prompt: p.prompt,
    negativePrompt: p.negativePrompt,
    promptSyntax: p.promptSyntax ?? 'plain',
    scheduler,
    numInferenceSteps: p.steps,
    guidanceScale: p.guidanceScale,
    seed: p.seed < 0 ? null : p.seed,
    width: p.width,
    height: p.height,
  };
  return { ...rest, request, model: p.model };
}

export interface GalleryStoreOptions {
  /** An idb-keyval store; the default is database "sd-web-gallery", object store "images". */
  store?: UseStore;
  maxEntries?: number;
  /** Id source (tests inject a counter). */
  newId?: () => string;
  now?: () => number;
}

export const DEFAULT_MAX_ENTRIES = 200;

export class GalleryStore {
  #store: UseStore;
  #maxEntries: number;
  #newId: () => string;
  #now: () => number;

  constructor(options: GalleryStoreOptions = {}) {
    this.#store = options.store ?? createStore('sd-web-gallery', 'images');
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    this.#now = options.now ?? (() => Date.now());
  }

  async add(image: { png: Uint8Array | Blob; width: number; height: number; request: ResolvedRequest; model: string }): Promise<GalleryEntry> {
    const png = image.png instanceof Blob ? image.png : new Blob([image.png as Uint8Array<ArrayBuffer>], { type: 'image/png' });
    const entry: GalleryEntry = {
      id: this.#newId(),
      createdAt: this.#now(),
      width: image.width,
      height: image.height,
      request: image.request,
      model: image.model,
      png,
    };
    await set(entry.id, entry, this.#store);
    await this.#prune();
    return entry;
  }

  /** Every entry, newest first. */
  async list(): Promise<GalleryEntry[]> {
    const all = await entries<string, GalleryEntry | LegacyEntry>(this.#store);
    return all.map(([, entry]) => fromLegacy(entry)).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  delete(id: string): Promise<void> {
    return del(id, this.#store);
  }

  async #prune(): Promise<void> {
    const all = await this.list();
    if (all.length > this.#maxEntries)
      await delMany(
        all.slice(this.#maxEntries).map((entry) => entry.id),
        this.#store,
      );
  }
}
