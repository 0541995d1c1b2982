/**
 * The app's LoRA library in IndexedDB (idb-keyval, a database of its own, apart from the model weights and
 * the gallery): each `.safetensors` file the user added, as a Blob (kept out of line by browsers), with its
 * name (the file name without `.safetensors`, which `<lora:name:weight>` in the prompt names), size, A1111's
 * LoRA hash (core/lora/lora-hash.ts, written as `Lora hashes` in the PNG) and the user's weight and
 * enable choice. A file is read and its layers checked when added (core/lora/lora-file.ts), so a file that
 * can never be merged (corrupt header, LoHa, SDXL) is refused then, with the file's name. Adding a file
 * of a name already there replaces it.
 */
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import { readLoraFile } from '../core/lora/lora-file.js';
import { loraNameOf, loraShortHash } from '../core/lora/lora-hash.js';

export interface LoraEntry {
  /** The file name without `.safetensors`: the entry's key and the name prompt tags use. */
  name: string;
  size: number;
  /** A1111's short LoRA hash (12 hex digits). */
  hash: string;
  /** Used by every generation (tags in the prompt use a LoRA whether or not it is enabled). */
  enabled: boolean;
  weight: number;
  data: Blob;
  /** Milliseconds since the epoch. */
  addedAt: number;
}

export class LoraLibrary {
  readonly #store: UseStore;

  /** `store`: an idb-keyval store; the default is database "sd-web-loras", object store "loras". */
  constructor(store?: UseStore) {
    this.#store = store ?? createStore('sd-web-loras', 'loras');
  }

  /** Reads and checks the file, then stores it (enabled, weight 1); throws (SafetensorsError, LoraError) for a file that cannot be merged. */
  async add(fileName: string, data: Blob, now = Date.now()): Promise<LoraEntry> {
    const bytes = new Uint8Array(await data.arrayBuffer());
    readLoraFile(fileName, bytes);
    const entry: LoraEntry = {
      name: loraNameOf(fileName),
      size: data.size,
      hash: await loraShortHash(fileName, bytes),
      enabled: true,
      weight: 1,
      data,
      addedAt: now,
    };
    await set(entry.name, entry, this.#store);
    return entry;
  }

  /** Every entry, in the order they were added. */
  async list(): Promise<LoraEntry[]> {
    return (await entries<string, LoraEntry>(this.#store)).map(([, e]) => e).sort((a, b) => a.addedAt - b.addedAt || a.name.localeCompare(b.name));
  }

  /** Changes an entry's weight or enable choice; an entry no longer there is left alone. */
  async update(name: string, change: Partial<Pick<LoraEntry, 'enabled' | 'weight'>>): Promise<void> {
    const entry = await get<LoraEntry>(name, this.#store);
    if (entry) await set(name, { ...entry, ...change }, this.#store);
  }

  async remove(name: string): Promise<void> {
    await del(name, this.#store);
  }
}
