/**
 * The gallery: thumbnails of stored images, newest first. Clicking one restores its parameters;
 * each has "Use as input" (start image to image / inpainting from it), a PNG download (the file
 * carries the `parameters` chunk, so A1111's "PNG Info" reads it) and a delete button. Owns one object URL per shown image and revokes it when redrawn.
 */
import { SCHEDULER_LABELS } from '../core/schedulers/index.js';
import type { ResolvedRequest } from '../engine/request/request.js';
import type { GalleryEntry, GalleryStore } from './gallery-store.js';

export interface GalleryViewOptions {
  list: HTMLOListElement;
  store: GalleryStore;
  onRestore(entry: GalleryEntry): void;
  /** "Use as input": start image to image / inpainting from this picture. */
  onUseAsInput(entry: GalleryEntry): void;
}

export class GalleryView {
  #options: GalleryViewOptions;
  #urls: string[] = [];

  constructor(options: GalleryViewOptions) {
    this.#options = options;
  }

  /** Redraws from the store; returns the entries shown, newest first. */
  async refresh(): Promise<GalleryEntry[]> {
    const entries = await this.#options.store.list();
    this.dispose();
    this.#options.list.replaceChildren(...this.#withheld, ...entries.map((entry) => this.#item(entry)));
    this.#options.list.dataset.count = String(entries.length);
    return entries;
  }

  /** Placeholders for pictures the safety checker withheld, newest first: shown for this visit, never stored. */
  #withheld: HTMLLIElement[] = [];

  /** A placeholder tile saying the picture was withheld, with its seed so the user can try another. */
  addWithheld(seed: number | null, prompt: string): void {
    const item = document.createElement('li');
    item.className = 'gallery-item withheld';
    const text = document.createElement('p');
    text.className = 'withheld-text';
    text.textContent = 'Withheld by the safety checker';
    const caption = document.createElement('p');
    caption.className = 'caption';
    caption.textContent = `Seed ${seed ?? '–'} · try another seed or prompt`;
    item.title = `${prompt || '(no prompt)'}. Seed ${seed ?? 'from latents'}: withheld by the safety checker.`;
    item.append(text, caption);
    this.#withheld.unshift(item);
    this.#options.list.prepend(item);
  }

  async add(image: Parameters<GalleryStore['add']>[0]): Promise<GalleryEntry> {
    const entry = await this.#options.store.add(image);
    await this.refresh();
    return entry;
  }

  #item(entry: GalleryEntry): HTMLLIElement {
    const r = entry.request;
    const url = URL.createObjectURL(entry.png);
    this.#urls.push(url);
    const strength = r.strength === undefined ? '' : `, from a picture at strength ${r.strength}`;
    const summary = `${r.prompt || '(no prompt)'}. Seed ${r.seed ?? 'from latents'}, ${SCHEDULER_LABELS[r.scheduler]}, ${r.numInferenceSteps} steps, CFG ${r.guidanceScale}, ${r.width}x${r.height}${strength}.`;

    const item = document.createElement('li');
    item.className = 'gallery-item';
    item.dataset.id = entry.id;

    const restore = document.createElement('button');
    restore.type = 'button';
    restore.className = 'thumb';
    restore.title = `Restore the parameters: ${summary}`;
    restore.setAttribute('aria-label', `Restore the parameters of: ${summary}`);
    const img = document.createElement('img');
    img.src = url;
    img.alt = '';
    img.width = entry.width;
    img.height = entry.height;
    img.decoding = 'async';
    restore.append(img);
    restore.addEventListener('click', () => this.#options.onRestore(entry));

    const caption = document.createElement('p');
    caption.className = 'caption';
    caption.textContent = `Seed ${r.seed ?? '–'} · ${SCHEDULER_LABELS[r.scheduler]} · ${r.numInferenceSteps} steps${r.strength === undefined ? '' : ` · strength ${r.strength}`}`;

    const download = document.createElement('a');
    download.href = url;
    download.download = fileName(r);
    download.className = 'download';
    download.textContent = 'PNG';
    download.setAttribute('aria-label', `Download PNG of: ${r.prompt}, seed ${r.seed}`);

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.textContent = 'Delete';
    remove.setAttribute('aria-label', `Delete from the gallery: ${r.prompt}, seed ${r.seed}`);
    remove.addEventListener('click', async () => {
      await this.#options.store.delete(entry.id);
      await this.refresh();
    });

    const use = document.createElement('button');
    use.type = 'button';
    use.className = 'use-as-input';
    use.textContent = 'Use as input';
    use.setAttribute('aria-label', `Use as the picture to start from: ${r.prompt}, seed ${r.seed}`);
    use.addEventListener('click', () => this.#options.onUseAsInput(entry));

    const actions = document.createElement('div');
    actions.className = 'item-actions';
    actions.append(use, download, remove);
    item.append(restore, caption, actions);
    return item;
  }

  /** Revokes the object URLs of the images shown. */
  dispose(): void {
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.#urls = [];
  }
}

/** "00042-a-red-circle-on-a-blue-background.png": seed first, like A1111's default file names. */
export function fileName(p: Pick<ResolvedRequest, 'seed' | 'prompt'>): string {
  const slug = p.prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${String(p.seed ?? 'latents').padStart(5, '0')}-${slug || 'image'}.png`;
}
