/**
 * Generation parameters in AUTOMATIC1111's "infotext" format, the `parameters` text that A1111,
 * Forge, SD.Next, ComfyUI importers and civitai read from PNGs:
 *
 *   <prompt, may span lines>
 *   Negative prompt: <negative prompt, may span lines>      (omitted when empty)
 *   Steps: 25, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: shapes-sd
 *
 * Source: stable-diffusion-webui modules/processing.py `create_infotext` (writing) and
 * modules/infotext_utils.py (formerly generation_parameters_copypaste.py) `quote`, `unquote`,
 * `re_param` and `parse_generation_parameters` (reading). Like A1111, a value containing a comma,
 * a colon or a newline is written JSON-quoted; prompt lines are trimmed when read.
 * `Prompt syntax: plain` (or `a1111`) records how the prompt was read; A1111 writes no such key, and
 * its prompts are in its own syntax, so a text without it reads as `a1111`.
 * `VAE Decoder: TAESD` is A1111's own key (its "VAE type for decode" setting, written when not Full;
 * a text without it reads as `Full`, as A1111's parse_generation_parameters fills it in); so is
 * `VAE Encoder: TAESD` ("VAE type for encode": written by img2img / inpainting when not Full, before the
 * decoder's key; absent reads as `Full` too).
 */
import { parseDecimal } from './decimal.js';
import { InvalidRequestError } from './errors.js';
import { settingsPairs } from './infotext-settings.js';
import { isPromptSyntax, PROMPT_SYNTAXES, type PromptSyntax } from './prompt-syntax.js';

export interface GenerationParameters {
  prompt: string;
  negativePrompt: string;
  steps: number;
  /** A1111 sampler label: 'PNDM', 'DDIM', 'LMS', 'Euler', 'Euler a', 'Heun', 'DPM++ 2M', 'DPM++ 2M Karras', 'UniPC', 'LCM', 'TCD'. */
  sampler: string;
  guidanceScale: number;
  seed: number;
  width: number;
  height: number;
  model: string;
  /** How the prompts were read; written as `Prompt syntax: ...` when given. */
  promptSyntax?: PromptSyntax;
  /** img2img / inpainting only: A1111's "Denoising strength" (the request's strength). */
  denoisingStrength?: number;
  /** A1111's "VAE Encoder" ('Full' or 'TAESD'; img2img / inpainting: what encoded the init image): written when given and not 'Full'. */
  vaeEncoder?: string;
  /** A1111's "VAE Decoder" ('Full' or 'TAESD'): written when given and not 'Full'. */
  vaeDecoder?: string;
}

/** What `parseParameters` returns: the known fields plus every other `key: value` of the settings line. */
export interface ParsedGenerationParameters extends GenerationParameters {
  /** From `Prompt syntax:`, else 'a1111' (A1111's own PNGs have no such key). */
  promptSyntax: PromptSyntax;
  /** From `VAE Encoder:`, else 'Full' (A1111's rule). */
  vaeEncoder: string;
  /** From `VAE Decoder:`, else 'Full' (A1111's rule). */
  vaeDecoder: string;
  /** Other settings in their order, e.g. `{ 'Model hash': '6ce0161689', Version: 'v1.6.0' }`, values unquoted. */
  extra: Record<string, string>;
}

/**
 * Sampler settings beyond the sampler's label, written as extra `key: value` pairs: A1111's own keys for
 * eta (its `eta_ddim` option's "Eta DDIM" for DDIM, its `eta_ancestral` option's "Eta" for the other
 * samplers, TCD's gamma here), and "Timestep spacing" (diffusers' `timestep_spacing`; A1111 has no such key).
 */
export const SAMPLER_SETTING_KEYS = { etaDdim: 'Eta DDIM', eta: 'Eta', timestepSpacing: 'Timestep spacing' } as const;

/** Settings-line keys of the known fields (A1111's labels). */
const KEYS = {
  steps: 'Steps',
  sampler: 'Sampler',
  guidanceScale: 'CFG scale',
  seed: 'Seed',
  size: 'Size',
  model: 'Model',
  promptSyntax: 'Prompt syntax',
  denoisingStrength: 'Denoising strength',
  vaeEncoder: 'VAE Encoder',
  vaeDecoder: 'VAE Decoder',
} as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.values(KEYS));
const NEGATIVE_PREFIX = 'Negative prompt:';

/** A settings key as A1111's `re_param` reads it (Python's Unicode `\w`, hence `\p{L}\p{N}_`). */
const KEY = /^[\p{L}\p{N}_][\p{L}\p{N}_ \-/]+$/u;
const SIZE = /^(\d+)x(\d+)$/;

/** A1111's `quote`: JSON-quote a value that contains a comma, a colon or a newline. */
export function quoteParameterValue(value: string): string {
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}

/** A1111's `unquote`: a value in double quotes is JSON; if it does not parse it is kept as written. */
export function unquoteParameterValue(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

/**
 * The infotext for `p`, as A1111's create_infotext writes it. `extra` settings (from a parsed text,
 * or e.g. `{ Version: '...' }`) follow the known ones in their order.
 */
export function formatParameters(p: GenerationParameters & { extra?: Readonly<Record<string, string>> }): string {
  const settings: [string, string][] = [
    [KEYS.steps, String(p.steps)],
    [KEYS.sampler, p.sampler],
    [KEYS.guidanceScale, String(p.guidanceScale)],
    [KEYS.seed, String(p.seed)],
    [KEYS.size, `${p.width}x${p.height}`],
    [KEYS.model, p.model],
  ];
  if (p.promptSyntax !== undefined) settings.push([KEYS.promptSyntax, p.promptSyntax]);
  if (p.denoisingStrength !== undefined) settings.push([KEYS.denoisingStrength, String(p.denoisingStrength)]);
  if (p.vaeEncoder !== undefined && p.vaeEncoder !== 'Full') settings.push([KEYS.vaeEncoder, p.vaeEncoder]);
  if (p.vaeDecoder !== undefined && p.vaeDecoder !== 'Full') settings.push([KEYS.vaeDecoder, p.vaeDecoder]);
  for (const [key, value] of Object.entries(p.extra ?? {})) {
    if (KNOWN_KEYS.has(key)) throw new InvalidRequestError(`"${key}" is a known field; set it on the parameters, not in extra.`);
    if (!KEY.test(key)) throw new InvalidRequestError(`"${key}" cannot be an infotext key (letters, digits, space, _ - / only, at least 2 characters).`);
    settings.push([key, value]);
  }
  const settingsLine = settings.map(([k, v]) => `${k}: ${quoteParameterValue(v)}`).join(', ');
  const negative = p.negativePrompt ? `\n${NEGATIVE_PREFIX} ${p.negativePrompt}` : '';
  // A prompt line that itself starts with "Negative prompt:" is written indented by one space: the
  // reader takes only an unindented one as the start of the negative prompt (and trims lines).
  const prompt = p.prompt.replace(/^Negative prompt:/gm, ` ${NEGATIVE_PREFIX}`);
  return `${prompt}${negative}\n${settingsLine}`.replace(/^\n+/, '').trimEnd();
}

/**
 * Reads an infotext (from this engine or from A1111 and its forks). The last line is the settings
 * line when it holds at least 3 `key: value` pairs; lines before it are the prompt, and from a line
 * starting with "Negative prompt:" (unindented: formatParameters indents a prompt line that starts
 * so) on, the negative prompt. Steps, Sampler, CFG scale, Seed and Size
 * are required; Model may be missing ('' then). Everything else lands in `extra`.
 */
export function parseParameters(text: string): ParsedGenerationParameters {
  const lines = text
    .replace(/^(?:[ \t\r]*\n)+/, '')
    .trimEnd()
    .split('\n');
  // Linear in the text's length (infotext-settings.ts): a dropped PNG cannot freeze the page.
  let pairs = settingsPairs(lines.at(-1) ?? '');
  if (pairs.length >= 3) lines.pop();
  else pairs = [];

  const prompt: string[] = [];
  const negative: string[] = [];
  let inNegative = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (raw.startsWith(NEGATIVE_PREFIX)) {
      inNegative = true;
      line = line.slice(NEGATIVE_PREFIX.length).trim();
    }
    (inNegative ? negative : prompt).push(line);
  }

  const settings = new Map<string, string>();
  for (const [key, value] of pairs) settings.set(key, unquoteParameterValue(value));

  const required = (key: string): string => {
    const value = settings.get(key);
    if (value === undefined) {
      throw new InvalidRequestError(
        `These parameters have no "${key}" setting; expected a line like "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512".`,
      );
    }
    return value;
  };
  const integer = (key: string): number => {
    const value = required(key);
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidRequestError(`"${key}: ${value}" is not a whole number.`);
    return Number(value);
  };
  const steps = integer(KEYS.steps);
  const sampler = required(KEYS.sampler);
  const cfg = required(KEYS.guidanceScale);
  const guidanceScale = parseDecimal(cfg.trim()) ?? NaN;
  if (!Number.isFinite(guidanceScale)) throw new InvalidRequestError(`"CFG scale: ${cfg}" is not a number.`);
  const seed = integer(KEYS.seed);
  const size = SIZE.exec(required(KEYS.size).trim());
  if (!size) throw new InvalidRequestError(`"Size: ${settings.get(KEYS.size)}" is not WIDTHxHEIGHT.`);

  const syntax = settings.get(KEYS.promptSyntax)?.trim() ?? 'a1111';
  if (!isPromptSyntax(syntax)) throw new InvalidRequestError(`"${KEYS.promptSyntax}: ${syntax}" is not one of ${PROMPT_SYNTAXES.join(', ')}.`);
  const strengthText = settings.get(KEYS.denoisingStrength);
  const denoisingStrength = strengthText === undefined || strengthText.trim() === '' ? undefined : (parseDecimal(strengthText.trim()) ?? NaN);
  if (denoisingStrength !== undefined && !Number.isFinite(denoisingStrength))
    throw new InvalidRequestError(`"Denoising strength: ${strengthText}" is not a number.`);

  const extra: Record<string, string> = {};
  for (const [key, value] of settings) if (!KNOWN_KEYS.has(key)) extra[key] = value;

  return {
    prompt: prompt.join('\n'),
    negativePrompt: negative.join('\n'),
    steps,
    sampler,
    guidanceScale,
    seed,
    width: Number(size[1]),
    height: Number(size[2]),
    model: settings.get(KEYS.model) ?? '',
    promptSyntax: syntax,
    ...(denoisingStrength === undefined ? {} : { denoisingStrength }),
    vaeEncoder: settings.get(KEYS.vaeEncoder)?.trim() || 'Full',
    vaeDecoder: settings.get(KEYS.vaeDecoder)?.trim() || 'Full',
    extra,
  };
}
