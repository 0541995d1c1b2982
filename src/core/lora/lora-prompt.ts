/**
 * AUTOMATIC1111's LoRA prompt syntax: `<lora:name>`, `<lora:name:weight>` (and the LyCORIS extension's
 * `<lyco:...>`), taken out of the prompt text as A1111's extra networks do (modules/extra_networks.py:
 * `re.sub(r"<(\w+):([^>]+)>", "", prompt)`, the tag replaced by nothing, the text around it kept as it is;
 * items split on ':'; extensions-builtin/Lora/extra_networks_lora.py: the text-encoder multiplier is
 * item 1 or `te=`, default 1; the UNet multiplier item 2 or `unet=`, default the text encoder's). Other
 * extra-network tags (`<hypernet:...>`) stay in the text. The negative prompt is not read for tags (as A1111).
 */
import { InvalidRequestError } from '../errors.js';

export interface PromptLora {
  /** As written in the tag: a file name without `.safetensors` in the LoRA library. */
  name: string;
  /** The text encoder's multiplier (and the UNet's unless unetWeight is given). */
  weight: number;
  /** Only when the tag gives the UNet another multiplier. */
  unetWeight?: number;
}

const TAG = /<(lora|lyco):([^>]+)>/g;

/** The prompt without its LoRA tags, and the tags in prompt order. */
export function extractLoraTags(prompt: string): { prompt: string; loras: PromptLora[] } {
  const loras: PromptLora[] = [];
  const text = prompt.replace(TAG, (tag, _kind: string, args: string) => {
    const items = args.split(':');
    const positional = items.filter((i) => !i.includes('='));
    const named = Object.fromEntries(items.filter((i) => i.includes('=')).map((i) => [i.slice(0, i.indexOf('=')), i.slice(i.indexOf('=') + 1)]));
    const name = positional[0] ?? '';
    const number = (value: string | undefined, fallback: number, what: string) => {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidRequestError(`The prompt's ${tag} has ${what} "${value}", not a number.`, 'prompt');
      return n;
    };
    const te = number(named.te ?? positional[1], 1, 'weight');
    const unet = number(named.unet ?? positional[2], te, 'UNet weight');
    if (!name.trim()) throw new InvalidRequestError(`The prompt's ${tag} names no LoRA.`, 'prompt');
    loras.push(unet === te ? { name, weight: te } : { name, weight: te, unetWeight: unet });
    return '';
  });
  return { prompt: text, loras };
}
