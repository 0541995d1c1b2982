/**
 * The "Stored models" panel: what the weight store holds (name, URL, size, complete or partial),
 * the browser's storage estimate, and a Delete button per model behind a confirmation.
 *
 * Deleting the model in use is safe: the engine keeps its sessions (the weights are already in
 * memory) and only the stored copy goes; the next fresh load downloads it again. While a load or
 * generation runs the Delete buttons are disabled: the engine would queue the delete behind it.
 */
import type { Engine } from '../engine/engine.js';
import { formatBytes } from '../core/format-bytes.js';
import { defaultStorage, type StorageLike } from '../core/storage-estimate.js';
import type { StoredModelInfo } from '../engine/ports.js';
import { deleteQuestion, describeStorageEstimate, describeStoredModel, summariseStoredModels } from './stored-models.js';

export interface StoredModelsViewOptions {
  list: HTMLUListElement;
  /** How many models, and their size. */
  summary: HTMLElement;
  /** The browser's storage estimate (hidden where there is none). */
  estimate: HTMLElement;
  /** Announces what a delete did, or why it failed. */
  message: HTMLElement;
  engine: Pick<Engine, 'listModels' | 'deleteModel'>;
  /** navigator.storage by default; absent in browsers without the Storage API. */
  storage?: StorageLike | undefined;
  /** Asks before deleting; window.confirm by default. */
  confirm?: (question: string) => boolean;
}

export class StoredModelsView {
  #options: StoredModelsViewOptions;
  #confirm: (question: string) => boolean;
  #inUseUrl: string | null = null;
  #busy = false;
  /** Only the newest refresh draws (an older, slower one would show a stale list). */
  #generation = 0;

  constructor(options: StoredModelsViewOptions) {
    this.#options = { storage: defaultStorage(), ...options };
    this.#confirm = options.confirm ?? ((question) => window.confirm(question));
  }

  /** The (normalised) URL of the model the engine has loaded, marked "in use" in the list. */
  setInUse(url: string | null): void {
    this.#inUseUrl = url;
  }

  /** A load or generation is running: no deletes until it ends. */
  setBusy(busy: boolean): void {
    this.#busy = busy;
    for (const button of this.#options.list.querySelectorAll<HTMLButtonElement>('button.delete')) button.disabled = busy;
  }

  /** Re-reads the store and the storage estimate; returns the models shown. A failure is shown, not thrown. */
  async refresh(): Promise<StoredModelInfo[]> {
    const generation = ++this.#generation;
    let models: StoredModelInfo[];
    let estimate: { usage?: number; quota?: number } | null;
    try {
      [models, estimate] = await Promise.all([this.#options.engine.listModels(), this.#estimate()]);
    } catch (error) {
      if (generation === this.#generation) this.#options.summary.textContent = `The stored models could not be read: ${(error as Error).message}`;
      return [];
    }
    if (generation !== this.#generation) return models;
    models.sort((a, b) => a.name.localeCompare(b.name));
    this.#options.list.replaceChildren(...models.map((model) => this.#item(model)));
    this.#options.list.dataset.count = String(models.length);
    this.#options.summary.textContent = summariseStoredModels(models);
    const usage = describeStorageEstimate(estimate);
    this.#options.estimate.textContent = usage ?? '';
    this.#options.estimate.hidden = usage === null;
    return models;
  }

  async #estimate(): Promise<{ usage?: number; quota?: number } | null> {
    try {
      return (await this.#options.storage?.estimate()) ?? null;
    } catch {
      return null; // some contexts refuse estimate(); the list still shows
    }
  }

  #item(model: StoredModelInfo): HTMLLIElement {
    const inUse = model.url === this.#inUseUrl;
    const view = describeStoredModel(model, inUse);
    const item = document.createElement('li');
    item.className = 'stored-model';
    item.dataset.id = model.id;
    item.dataset.complete = String(model.complete);
    item.dataset.bytes = String(model.sizeBytes);

    const name = document.createElement('p');
    name.className = 'stored-name';
    name.textContent = view.name;
    const meta = document.createElement('p');
    meta.className = 'stored-meta';
    meta.textContent = `${view.size} · ${view.status}`;
    const url = document.createElement('p');
    url.className = 'stored-url';
    url.textContent = view.url;
    const text = document.createElement('div');
    text.className = 'stored-text';
    text.append(name, meta, url);

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete secondary';
    remove.textContent = 'Delete';
    remove.disabled = this.#busy;
    remove.setAttribute('aria-label', `Delete ${model.name} from storage`);
    remove.addEventListener('click', () => void this.#delete(model, inUse, remove));

    item.append(text, remove);
    return item;
  }

  async #delete(model: StoredModelInfo, inUse: boolean, button: HTMLButtonElement): Promise<void> {
    if (this.#busy || !this.#confirm(deleteQuestion(model, inUse))) return;
    button.disabled = true;
    button.textContent = 'Deleting…';
    const { message } = this.#options;
    try {
      await this.#options.engine.deleteModel(model.id);
      message.textContent = `Deleted ${model.name}, ${formatBytes(model.sizeBytes)} freed.${inUse ? ' It stays loaded until you reload the page or switch models.' : ''}`;
    } catch (error) {
      message.textContent = `${model.name} could not be deleted: ${(error as Error).message}`;
    }
    message.hidden = false;
    await this.refresh();
  }
}
