/**
 * The element's `loras` property (`{ file: Blob | string, weight: number }[]`) made into the engine's LoRA
 * inputs (engine/lora/lora-inputs.ts): a URL (resolved against the page) is fetched once and its Blob kept,
 * so that the next generate() posts the same Blob and the worker reads the file once; a Blob goes as it is.
 * Checked when set: a file that is neither a Blob nor a string, or a weight that is not a finite number, is a TypeError.
 *
 * The list is the element's LoRA library for AUTOMATIC1111's `<lora:name:weight>` prompt tags, read as the app
 * reads its library's (engine/lora/lora-choice.ts, shared with app/lora-choice.ts): a LoRA is on at its weight
 * unless the weight is 0, a tag sets the weight of the LoRA it names for this generation (0 or not), a tag
 * naming none of the list is refused, and the tags are taken out of the prompt the text encoder reads.
 *
 * The picture's PNG then records the set as the app and the CLI (cli/lora-flags.ts) write it, so that a pasted
 * PNG names it: the prompt as typed, a `<lora:name:weight>` tag after it per LoRA that no tag named, and
 * AUTOMATIC1111's `Lora hashes: "name: hash, ..."` (core/lora/lora-hash.ts). The name is the file's without
 * `.safetensors`: a File's name, a URL's last path segment, or `lora-N` (its 1-based place in the list) for a Blob without one.
 */
import { InvalidRequestError } from '../core/errors.js';
import { loraHashesValue, loraNameOf, loraShortHash } from '../core/lora/lora-hash.js';
import type { ImageResult } from '../engine/engine.js';
import { selectLoras, type LoraLibraryEntry } from '../engine/lora/lora-choice.js';
import type { LoraInput } from '../engine/lora/lora-inputs.js';
import { encodeImagePng } from '../engine/request/png-file.js';

export interface ElementLora {
  /** The `.safetensors` file: a Blob (File), or its URL. */
  file: Blob | string;
  /** The LoRA's weight (A1111's multiplier; 1 is the trained strength, 0 turns it off). */
  weight: number;
}

/** A copy of `value` when it is a list of `{ file, weight }`; throws TypeError otherwise. */
export function checkElementLoras(value: unknown): ElementLora[] {
  if (!Array.isArray(value)) throw new TypeError('loras takes an array of { file: Blob | string, weight: number }.');
  return value.map((item: unknown, i) => {
    const { file, weight } = (item ?? {}) as { file?: unknown; weight?: unknown };
    if (!(file instanceof Blob) && typeof file !== 'string') throw new TypeError(`loras[${i}].file must be a Blob or a URL string.`);
    const w = weight === undefined ? 1 : weight;
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new TypeError(`loras[${i}].weight must be a finite number.`);
    return { file, weight: w };
  });
}

/** The file's name for messages (and, without `.safetensors`, the PNG's): a File's name, the URL's last segment, or `lora-N.safetensors`. */
function loraName(file: Blob | string, index: number): string {
  if (typeof file === 'string') return decodeURIComponent(new URL(file, 'http://x/').pathname.split('/').pop() || `lora-${index + 1}.safetensors`);
  const named = (file as Blob & { name?: unknown }).name;
  return typeof named === 'string' && named ? named : `lora-${index + 1}.safetensors`;
}

/** A LoRA the generation uses: the file, its name for messages (`name.safetensors`; by default from the file and its place) and weights. */
export interface ElementLoraUse {
  file: Blob | string;
  name?: string;
  weight: number;
  unetWeight?: number;
}

export interface ElementLoraChoice {
  /** The prompt for the text encoder: without its LoRA tags. */
  prompt: string;
  /** The prompt as the PNG records it: as typed, then a tag per LoRA of the list (weight not 0) that no tag named. */
  infotextPrompt: string;
  /** The list's LoRAs of weight other than 0 that no tag named (in list order), then the tagged ones (in prompt order). */
  loras: ElementLoraUse[];
}

/**
 * The LoRAs a generation with `prompt` uses (selectLoras with the list as the library). Throws
 * InvalidRequestError (field 'prompt') for a tag naming no LoRA of the list, or a malformed tag.
 */
export function chooseElementLoras(prompt: string, loras: readonly ElementLora[]): ElementLoraChoice {
  const library = loras.map(({ file, weight }, i): LoraLibraryEntry & { file: Blob | string; fileName: string } => {
    const fileName = loraName(file, i);
    return { name: loraNameOf(fileName), fileName, file, weight, enabled: weight !== 0 };
  });
  const {
    prompt: text,
    chosen,
    infotextPrompt,
  } = selectLoras(
    prompt,
    library,
    (name) => `The prompt names <lora:${name}>, but the element's loras property has no ${name}: add ${name}.safetensors to loras ({ file, weight }).`,
  );
  return {
    prompt: text,
    infotextPrompt,
    loras: chosen.map(({ entry, weight, unetWeight }) => ({
      file: entry.file,
      name: entry.fileName,
      weight,
      ...(unetWeight === undefined ? {} : { unetWeight }),
    })),
  };
}

/** Fetches each URL once (by its resolved address) and keeps the Blob in `cache`. */
export async function resolveElementLoras(
  loras: readonly ElementLoraUse[],
  baseUrl: string,
  cache: Map<string, Promise<Blob>>,
  fetcher: typeof fetch = fetch,
): Promise<LoraInput[]> {
  return Promise.all(
    loras.map(async ({ file, name, weight, unetWeight }, i) => {
      const input = { name: name ?? loraName(file, i), weight, ...(unetWeight === undefined ? {} : { unetWeight }) };
      if (file instanceof Blob) return { ...input, data: file };
      const url = new URL(file, baseUrl).href;
      let blob = cache.get(url);
      if (!blob) {
        blob = fetcher(url).then(async (response) => {
          if (!response.ok) throw new InvalidRequestError(`The LoRA ${url} could not be fetched: HTTP ${response.status}.`);
          return response.blob();
        });
        cache.set(url, blob);
        blob.catch(() => cache.delete(url)); // a failed fetch is tried again next time
      }
      return { ...input, data: await blob };
    }),
  );
}

/** A1111's short hash of each file (lora-hash.ts), read once per Blob; a file that fails is read again next time. */
function hashOf(name: string, data: Blob, hashes: WeakMap<Blob, Promise<string>>): Promise<string> {
  let hash = hashes.get(data);
  if (!hash) {
    hash = data.arrayBuffer().then((buffer) => loraShortHash(name, new Uint8Array(buffer)));
    hashes.set(data, hash);
    hash.catch(() => hashes.delete(data));
  }
  return hash;
}

/**
 * The PNG for a result made with `loras` (resolveElementLoras' list for chooseElementLoras' choice): without
 * LoRAs the engine's PNG as it is; with them the same pixels and parameters, the prompt as the PNG records it
 * (`infotextPrompt`: as typed, with a tag per LoRA no tag named) and `Lora hashes` added, as the app and the CLI write them.
 */
export async function pngWithLoras(
  result: Pick<ImageResult, 'png' | 'rgba' | 'width' | 'height' | 'request' | 'model'>,
  infotextPrompt: string,
  loras: readonly LoraInput[],
  hashes: WeakMap<Blob, Promise<string>>,
): Promise<Uint8Array> {
  if (loras.length === 0) return result.png;
  const named = await Promise.all(loras.map(async ({ name, data }) => ({ name: loraNameOf(name), hash: await hashOf(name, data, hashes) })));
  const request = { ...result.request, prompt: infotextPrompt };
  return encodeImagePng({ ...result, request }, { 'Lora hashes': loraHashesValue(named) });
}
