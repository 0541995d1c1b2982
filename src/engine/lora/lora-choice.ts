/**
 * Which LoRAs a generation uses, from a library of named LoRAs (the app's stored library, app/lora-choice.ts;
 * the web component's `loras` property, element/element-loras.ts): the enabled ones at their weights, and
 * those named by AUTOMATIC1111's `<lora:name:weight>` / `<lora:name:te:unet>` prompt tags (core/lora/lora-prompt.ts,
 * taken out of the text the text encoder reads), a tag overriding the entry of the same name whether or not
 * it is enabled. As the CLI (cli/lora-flags.ts): the PNG's prompt keeps its tags and gets a tag per enabled
 * LoRA that no tag named, so that a pasted PNG names the set.
 */
import { InvalidRequestError } from '../../core/errors.js';
import { extractLoraTags } from '../../core/lora/lora-prompt.js';
import type { LoraInput } from './lora-inputs.js';

/** What the choice reads of a library's entry. */
export interface LoraLibraryEntry {
  /** The file name without `.safetensors`: the name prompt tags use. */
  name: string;
  /** Used by every generation at `weight` (a tag uses an entry whether or not it is enabled). */
  enabled: boolean;
  weight: number;
}

/** An entry a generation uses, at the weights it is used with. */
export interface ChosenLora<E extends LoraLibraryEntry> {
  entry: E;
  weight: number;
  /** Only when a tag gives the UNet another weight. */
  unetWeight?: number;
}

export interface LoraSelection<E extends LoraLibraryEntry> {
  /** The prompt for the text encoder: without its LoRA tags. */
  prompt: string;
  /** The enabled entries no tag names (in library order), then the tagged ones (in prompt order). */
  chosen: ChosenLora<E>[];
  /** 'style 0.8, detail 1' for progress lines and results; '' without LoRAs. */
  summary: string;
  /** The prompt as the PNG records it: as written, then a tag per enabled entry that no tag named. */
  infotextPrompt: string;
}

/**
 * Throws InvalidRequestError (field 'prompt') with `missing(name)` for a tag that names no entry of the
 * library, and extractLoraTags' error for a malformed tag.
 */
export function selectLoras<E extends LoraLibraryEntry>(prompt: string, library: readonly E[], missing: (name: string) => string): LoraSelection<E> {
  const tags = extractLoraTags(prompt);
  const byName = new Map(library.map((e) => [e.name, e] as const));
  const tagged = new Set(tags.loras.map((t) => t.name));
  const chosen: ChosenLora<E>[] = [];
  const enabledTags: string[] = [];
  for (const entry of library) {
    if (!entry.enabled || tagged.has(entry.name)) continue;
    chosen.push({ entry, weight: entry.weight });
    enabledTags.push(`<lora:${entry.name}:${entry.weight}>`);
  }
  for (const tag of tags.loras) {
    const entry = byName.get(tag.name);
    if (!entry) throw new InvalidRequestError(missing(tag.name), 'prompt');
    chosen.push({ entry, weight: tag.weight, ...(tag.unetWeight === undefined ? {} : { unetWeight: tag.unetWeight }) });
  }
  return {
    prompt: tags.prompt,
    chosen,
    summary: chosen.map(({ entry, weight }) => `${entry.name} ${weight}`).join(', '),
    infotextPrompt: enabledTags.length ? `${prompt} ${enabledTags.join(' ')}` : prompt,
  };
}

/** The chosen LoRAs as the engine takes them: `name.safetensors`, the entry's bytes, the chosen weights. */
export function chosenLoraInputs(chosen: readonly ChosenLora<LoraLibraryEntry & { data: Blob }>[]): LoraInput[] {
  return chosen.map(({ entry, weight, unetWeight }) => ({
    name: `${entry.name}.safetensors`,
    data: entry.data,
    weight,
    ...(unetWeight === undefined ? {} : { unetWeight }),
  }));
}
