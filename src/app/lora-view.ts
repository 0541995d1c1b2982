/**
 * The "LoRAs" panel: add `.safetensors` files (file picker, or dropped on the panel), list them with an
 * enable checkbox, a weight slider (-2 to 2, with its value) and a Remove button; every change is kept in
 * the library (lora-library.ts). The logic (storage, choice per generation) lives in lora-library.ts and
 * lora-choice.ts; this file only draws and listens.
 */
import { formatBytes } from '../core/format-bytes.js';
import { LoraLibrary, type LoraEntry } from './lora-library.js';

export interface LoraViewOptions {
  input: HTMLInputElement;
  /** Takes dropped files (a drop here is not a PNG drop). */
  zone: HTMLElement;
  list: HTMLUListElement;
  /** Announces what an add or remove did, or why it failed. */
  message: HTMLElement;
  library?: LoraLibrary;
}

export class LoraView {
  readonly library: LoraLibrary;
  readonly #o: LoraViewOptions;
  #entries: LoraEntry[] = [];

  constructor(options: LoraViewOptions) {
    this.#o = options;
    this.library = options.library ?? new LoraLibrary();
    options.input.addEventListener('change', () => {
      const files = [...(options.input.files ?? [])];
      options.input.value = '';
      void this.add(files);
    });
    options.zone.addEventListener('dragover', (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
    options.zone.addEventListener('drop', (event) => {
      const files = [...(event.dataTransfer?.files ?? [])];
      if (files.length === 0) return;
      event.preventDefault(); // taken here: the page's PNG drop leaves it alone
      void this.add(files);
    });
  }

  /** The entries as last listed (what the next generation chooses from). */
  get entries(): readonly LoraEntry[] {
    return this.#entries;
  }

  async add(files: readonly File[]): Promise<void> {
    const said: string[] = [];
    for (const file of files) {
      try {
        const entry = await this.library.add(file.name, file);
        said.push(`Added ${entry.name} (${formatBytes(entry.size)}).`);
      } catch (error) {
        said.push(error instanceof Error ? error.message : String(error));
      }
    }
    this.#o.message.textContent = said.join(' ');
    await this.refresh();
  }

  async refresh(): Promise<void> {
    this.#entries = await this.library.list();
    this.#o.list.replaceChildren(...this.#entries.map((entry) => this.#item(entry)));
  }

  #item(entry: LoraEntry): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'lora';
    const id = `lora-${entry.name.replace(/[^\w-]/g, '_')}`;
    const check = Object.assign(document.createElement('input'), { type: 'checkbox', checked: entry.enabled, id: `${id}-on` });
    const checkLabel = Object.assign(document.createElement('label'), { htmlFor: check.id, textContent: `Use ${entry.name}`, className: 'check' });
    checkLabel.prepend(check);
    const slider = Object.assign(document.createElement('input'), {
      type: 'range',
      min: '-2',
      max: '2',
      step: '0.05',
      value: String(entry.weight),
      id: `${id}-weight`,
    });
    const sliderLabel = Object.assign(document.createElement('label'), { htmlFor: slider.id, textContent: `Weight of ${entry.name}` });
    const value = Object.assign(document.createElement('output'), { textContent: String(entry.weight), htmlFor: slider.id });
    const details = Object.assign(document.createElement('span'), { className: 'hint', textContent: `${formatBytes(entry.size)} · hash ${entry.hash}` });
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary', textContent: 'Remove' });
    remove.setAttribute('aria-label', `Remove ${entry.name}`);
    check.addEventListener('change', () => void this.#change(entry.name, { enabled: check.checked }));
    slider.addEventListener('input', () => void (value.textContent = slider.value));
    slider.addEventListener('change', () => void this.#change(entry.name, { weight: Number(slider.value) }));
    remove.addEventListener('click', async () => {
      await this.library.remove(entry.name);
      this.#o.message.textContent = `Removed ${entry.name}.`;
      await this.refresh();
    });
    item.append(checkLabel, sliderLabel, slider, value, details, remove);
    return item;
  }

  async #change(name: string, change: Partial<Pick<LoraEntry, 'enabled' | 'weight'>>): Promise<void> {
    this.#entries = this.#entries.map((e) => (e.name === name ? { ...e, ...change } : e)); // the next Generate sees it at once
    await this.library.update(name, change);
  }
}
