/**
 * Which LoRAs a generation uses, from the app's library (lora-library.ts): the enabled ones at their
 * weights, and those named by `<lora:name:weight>` tags in the prompt (AUTOMATIC1111's syntax,
 * core/lora/lora-prompt.ts, taken out of the text the text encoder reads), a tag overriding the
 * enabled entry of the same name (engine/lora/lora-choice.ts selectLoras, shared with the web component).
 * As the CLI (cli/lora-flags.ts): the PNG's prompt keeps its tags and gets a tag per enabled LoRA, so that
 * a pasted PNG names the set, and `Lora hashes` as A1111 writes it.
 */
import { loraHashesValue } from '../core/lora/lora-hash.js';
import { extractLoraTags } from '../core/lora/lora-prompt.js';
import { chosenLoraInputs, selectLoras } from '../engine/lora/lora-choice.js';
import type { LoraInput } from '../engine/lora/lora-inputs.js';
import type { LoraEntry } from './lora-library.js';

export interface LoraChoice {
  /** The prompt for the text encoder: without its LoRA tags. */
  prompt: string;
  loraFiles: LoraInput[];
  /** 'style 0.8, detail 1' for the progress line and the result; '' without LoRAs. */
  summary: string;
  /** The prompt as the PNG records it. */
  infotextPrompt: string;
  /** `{ 'Lora hashes': ... }` when there are LoRAs. */
  extra: Record<string, string>;
}

/** The text the text encoder reads (for the token count): the prompt without its LoRA tags; as written while a tag is malformed. */
export function promptWithoutLoraTags(prompt: string): string {
  try {
    return extractLoraTags(prompt).prompt;
  } catch {
    return prompt;
  }
}

/** Throws InvalidRequestError (field 'prompt') for a tag that names no LoRA of the library (engine/lora/lora-choice.ts). */
export function chooseLoras(prompt: string, library: readonly LoraEntry[]): LoraChoice {
  const { chosen, ...selection } = selectLoras(
    prompt,
    library,
    (name) => `The prompt names <lora:${name}>, but your LoRAs have no ${name}: add ${name}.safetensors under LoRAs.`,
  );
  return {
    ...selection,
    loraFiles: chosenLoraInputs(chosen),
    extra: chosen.length ? { 'Lora hashes': loraHashesValue(chosen.map(({ entry }) => entry)) } : {},
  };
}

/**
 * What a pasted PNG's `Lora hashes` (A1111: `name: hash, name: hash`, unquoted by the parameters parser) says
 * about the library: its prompt tags name the LoRAs, so this only notes a name the library lacks, or holds
 * with another hash (another file of that name: the picture may differ).
 */
export function loraRestoreNotes(hashes: string | undefined, library: readonly LoraEntry[]): string[] {
  if (!hashes) return [];
  const byName = new Map(library.map((e) => [e.name, e] as const));
  const notes: string[] = [];
  for (const item of hashes.split(',')) {
    const at = item.lastIndexOf(':');
    if (at < 0) continue;
    const name = item.slice(0, at).trim();
    const hash = item.slice(at + 1).trim();
    const entry = byName.get(name);
    if (!entry) notes.push(`It was made with the LoRA ${name} (hash ${hash}): add ${name}.safetensors under LoRAs to make it again.`);
    else if (entry.hash !== hash) notes.push(`It was made with a LoRA ${name} of hash ${hash}; yours has hash ${entry.hash}, so the picture may differ.`);
  }
  return notes;
}
