/**
 * The element's `loras` property (`{ file: Blob | string, weight: number }[]`) made into the engine's LoRA
 * inputs (engine/lora/lora-inputs.ts): a URL (resolved against the page) is fetched once and its Blob kept,
 * so that the next generate() posts the same Blob and the worker reads the file once; a Blob goes as it is.
 * Checked when set: a file that is neither a Blob nor a string, or a weight that is not a finite number, is a TypeError.
 */
import { InvalidRequestError } from '../core/errors.js';
import type { LoraInput } from '../engine/lora/lora-inputs.js';

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

/** The file's name for messages: a File's name, the URL's last segment, or `lora-N.safetensors`. */
function loraName(file: Blob | string, index: number): string {
  if (typeof file === 'string') return decodeURIComponent(new URL(file, 'http://x/').pathname.split('/').pop() || `lora-${index + 1}.safetensors`);
  const named = (file as Blob & { name?: unknown }).name;
  return typeof named === 'string' && named ? named : `lora-${index + 1}.safetensors`;
}

/** Fetches each URL once (by its resolved address) and keeps the Blob in `cache`. */
export async function resolveElementLoras(
  loras: readonly ElementLora[],
  baseUrl: string,
  cache: Map<string, Promise<Blob>>,
  fetcher: typeof fetch = fetch,
): Promise<LoraInput[]> {
  return Promise.all(
    loras.map(async ({ file, weight }, i) => {
      if (file instanceof Blob) return { name: loraName(file, i), data: file, weight };
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
      return { name: loraName(file, i), data: await blob, weight };
    }),
  );
}
