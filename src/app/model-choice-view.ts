/**
 * The model picker: presets (the bundled demo first, selected by default) plus "a folder at a URL";
 * under it, what the selected model is and its example prompts as buttons.
 */
import type { ModelPreset } from '../presets/model-preset.js';
import { formatBytes } from '../core/format-bytes.js';
import { byId } from './dom.js';
import { CUSTOM_MODEL_ID } from './form-values.js';

export interface ModelPickerOptions {
  presets: readonly ModelPreset[];
  /** The user picked another model (not called for `select` from code). */
  onChange(modelId: string): void;
  /** An example prompt was chosen. */
  onExample(prompt: string): void;
}

export class ModelPicker {
  #select: HTMLSelectElement;
  #description: HTMLElement;
  #customRow: HTMLElement;
  #customHint: HTMLElement;
  #defaultHint: string;
  #examples: HTMLElement;
  #exampleList: HTMLElement;
  #options: ModelPickerOptions;

  constructor(options: ModelPickerOptions, root: Document = document) {
    this.#options = options;
    this.#select = byId('model', HTMLSelectElement, root);
    this.#description = byId('model-description', HTMLElement, root);
    this.#customRow = byId('custom-url-row', HTMLElement, root);
    this.#customHint = byId('custom-url-hint', HTMLElement, root);
    this.#defaultHint = this.#customHint.textContent ?? '';
    this.#examples = byId('examples', HTMLElement, root);
    this.#exampleList = byId('example-list', HTMLElement, root);
    this.#select.replaceChildren(
      ...options.presets.map((spec) => new Option(`${spec.label}${sizeNote(spec)}`, spec.id)),
      new Option('Another model, by URL…', CUSTOM_MODEL_ID),
    );
    this.#select.addEventListener('change', () => {
      this.#render();
      options.onChange(this.#select.value);
    });
    this.#render();
  }

  get value(): string {
    return this.#select.value;
  }

  select(modelId: string): void {
    this.#select.value = modelId;
    this.#render();
  }

  #render(): void {
    const spec = this.#options.presets.find((s) => s.id === this.#select.value);
    const custom = this.#select.value === CUSTOM_MODEL_ID;
    this.#customRow.hidden = !custom && !spec?.askUrl;
    this.#customHint.textContent = spec?.askUrl ?? this.#defaultHint;
    this.#description.textContent = custom
      ? "Any Stable Diffusion v1 folder in diffusers' ONNX layout. Big models need WebGPU and download once into this browser's storage."
      : (spec?.description ?? '');
    const prompts = spec?.examplePrompts ?? [];
    this.#examples.hidden = prompts.length === 0;
    this.#exampleList.replaceChildren(
      ...prompts.map((prompt) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'example';
        button.textContent = prompt;
        button.addEventListener('click', () => this.#options.onExample(prompt));
        item.append(button);
        return item;
      }),
    );
  }
}

function sizeNote(spec: ModelPreset): string {
  const sizes = Object.values(spec.sizeBytes ?? {}).filter((n): n is number => typeof n === 'number');
  return sizes.length > 0 ? ` – ${formatBytes(Math.max(...sizes))}` : '';
}
