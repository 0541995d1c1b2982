/**
 * A LoRA file's layers, read from its `.safetensors` keys in the two formats people have:
 *
 * - kohya / AUTOMATIC1111: `lora_unet_<module>` and `lora_te_<module>` with `.lora_down.weight`
 *   (r, in[, kh, kw]), `.lora_up.weight` (out, r[, 1, 1]) and `.alpha`, where <module> is the diffusers
 *   module path with `.` written `_` (kohya's sd-scripts train SD 1.x on diffusers' UNet and
 *   transformers' CLIPTextModel), including LoCon's 3x3 convolutions in the resnets;
 * - diffusers / peft: `unet.<module>.lora_A.weight` (down) and `.lora_B.weight` (up), `text_encoder.<module>`,
 *   with lora_alpha in the header's `lora_adapter_metadata` (diffusers' save_lora_weights), or `.alpha` keys;
 *   older diffusers spellings `.lora.down.weight` / `.lora_linear_layer.down.weight` and attention
 *   processors' `attn1.processor.to_q_lora.down.weight` are read as the same layers.
 *
 * The scale of a layer is alpha / rank (diffusers' conversion: network alpha, else lora_alpha, else
 * alpha = rank). What cannot be merged as W + scale * up @ down is refused here with a message naming
 * the file: LyCORIS LoHa / LoKr / Tucker (lora_mid) / DoRA, SDXL LoRAs (two text encoders, the sgm
 * UNet's input_blocks), keys of no known kind (listed), incomplete pairs, NaN or infinite values.
 */
import { InvalidRequestError } from '../errors.js';
import { readSafetensors, tensorToFloat32, type SafetensorsFile } from './safetensors.js';

export type LoraPart = 'unet' | 'text_encoder';

export interface LoraLayer {
  part: LoraPart;
  /** The diffusers module path for the diffusers format ('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'); kohya's underscore name for kohya ('down_blocks_0_attentions_0_...'). */
  module: string;
  naming: 'kohya' | 'diffusers';
  /** (r, in * kh * kw) and (out, r), as float32. */
  down: Float32Array;
  up: Float32Array;
  /** down's shape (r, in[, kh, kw]) and up's (out, r[, 1, 1]). */
  downShape: number[];
  upShape: number[];
  /** alpha / rank. */
  scale: number;
  /** The file's keys for this layer (messages). */
  key: string;
}

export interface LoraFile {
  name: string;
  format: 'kohya' | 'diffusers';
  layers: LoraLayer[];
}

/** A LoRA that cannot be used here: bad input (the CLI's exit status 2), raised before any weight changes. */
export class LoraError extends InvalidRequestError {
  override name = 'LoraError';
}

const LIST = 8;
const listed = (keys: string[]) => keys.slice(0, LIST).join(', ') + (keys.length > LIST ? ` and ${keys.length - LIST} more` : '');

/** The file's layers, or a LoraError saying what it is and why it cannot be used. */
export function readLoraFile(name: string, bytes: Uint8Array): LoraFile {
  return loraLayers(readSafetensors(name, bytes));
}

export function loraLayers(file: SafetensorsFile): LoraFile {
  const keys = [...file.tensors.keys()];
  const name = file.name;
  const lycoris = keys.filter((k) => /(^|\.)(hada_|lokr_)/.test(k));
  if (lycoris.length)
    throw new LoraError(
      `${name} is a LyCORIS ${lycoris.some((k) => k.includes('lokr_')) ? 'LoKr' : 'LoHa'} file (${listed(lycoris)}): only LoRA (down/up pairs, LoCon included) is merged.`,
    );
  const other = keys.filter((k) => /\.(lora_mid|dora_scale|lora_magnitude_vector|diff|diff_b|w_norm|b_norm|on_input)(\.|$)/.test(k));
  if (other.length)
    throw new LoraError(
      `${name} uses LoRA variants that are not merged here (Tucker lora_mid, DoRA, full diffs: ${listed(other)}); only plain LoRA / LoCon down/up pairs are.`,
    );
  const sdxl = keys.filter((k) =>
    /^(lora_te1_|lora_te2_|text_encoder_2\.|lora_unet_(input_blocks|output_blocks|middle_block|label_emb)|unet\.add_embedding|lora_unet_add_embedding)/.test(k),
  );
  if (sdxl.length)
    throw new LoraError(
      `${name} looks like an SDXL LoRA (${listed(sdxl)}: two text encoders, or the sgm UNet's block names), not one for Stable Diffusion 1.x: use an SD 1.x LoRA.`,
    );

  const kohya = keys.filter((k) => /^lora_(unet|te)_/.test(k));
  const diffusers = keys.filter((k) => /^(unet|text_encoder)\./.test(k));
  if (kohya.length && diffusers.length)
    throw new LoraError(`${name} mixes kohya (lora_unet_*) and diffusers (unet.*) keys; it is not a LoRA file either tool writes.`);
  const layers = kohya.length ? kohyaLayers(file, keys) : diffusersLayers(file, keys);
  if (!layers.length) throw new LoraError(`${name} has no LoRA layers (keys: ${listed(keys) || 'none'}): is it a LoRA file?`);
  return { name, format: kohya.length ? 'kohya' : 'diffusers', layers };
}

function kohyaLayers(file: SafetensorsFile, keys: string[]): LoraLayer[] {
  const groups = new Map<string, { down?: string; up?: string; alpha?: string }>();
  const unknown: string[] = [];
  for (const key of keys) {
    const m = /^(lora_(unet|te)_[A-Za-z0-9_]+)\.(lora_down\.weight|lora_up\.weight|alpha)$/.exec(key);
    if (!m) {
      unknown.push(key);
      continue;
    }
    const group = groups.get(m[1]!) ?? {};
    if (m[3] === 'lora_down.weight') group.down = key;
    else if (m[3] === 'lora_up.weight') group.up = key;
    else group.alpha = key;
    groups.set(m[1]!, group);
  }
  if (unknown.length) throw new LoraError(`${file.name} has keys of no known LoRA kind: ${listed(unknown)}.`);
  return [...groups].map(([prefix, g]) => {
    const part: LoraPart = prefix.startsWith('lora_unet_') ? 'unet' : 'text_encoder';
    const module = prefix.replace(/^lora_(unet|te)_/, '');
    return layer(file, part, module, 'kohya', g, prefix, null);
  });
}

/** diffusers' lora_adapter_metadata: `{"unet.lora_alpha": 4, "unet.r": 8, "unet.alpha_pattern": {...}, ...}`. */
function adapterMetadata(file: SafetensorsFile): Record<string, unknown> {
  const text = file.metadata.lora_adapter_metadata;
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new LoraError(`${file.name}'s lora_adapter_metadata is not JSON: the file is damaged.`);
  }
}

const DIFFUSERS_SUFFIX =
  /^(.*?)\.(lora_A\.weight|lora_B\.weight|lora\.down\.weight|lora\.up\.weight|lora_linear_layer\.down\.weight|lora_linear_layer\.up\.weight|alpha)$/;

function diffusersLayers(file: SafetensorsFile, keys: string[]): LoraLayer[] {
  const groups = new Map<string, { down?: string; up?: string; alpha?: string }>();
  const unknown: string[] = [];
  for (const key of keys) {
    const m = DIFFUSERS_SUFFIX.exec(key) ?? /^(.*\.processor\.to_(?:[qkv]|out)_lora)\.(down\.weight|up\.weight)$/.exec(key);
    if (!m || !/^(unet|text_encoder)\./.test(m[1]!)) {
      unknown.push(key);
      continue;
    }
    // attention processors' LoRA (diffusers <= 0.20): attn1.processor.to_q_lora -> attn1.to_q, to_out_lora -> to_out.0
    const module = m[1]!.replace(/\.processor\.(to_[qkv])_lora$/, '.$1').replace(/\.processor\.to_out_lora$/, '.to_out.0');
    const group = groups.get(module) ?? {};
    if (/lora_A|down/.test(m[2]!)) group.down = key;
    else if (/lora_B|up/.test(m[2]!)) group.up = key;
    else group.alpha = key;
    groups.set(module, group);
  }
  if (unknown.length) throw new LoraError(`${file.name} has keys of no known LoRA kind: ${listed(unknown)}.`);
  const meta = adapterMetadata(file);
  return [...groups].map(([path, g]) => {
    const part: LoraPart = path.startsWith('unet.') ? 'unet' : 'text_encoder';
    const module = path.slice(part.length + 1);
    return layer(file, part, module, 'diffusers', g, path, metadataAlpha(meta, part, module));
  });
}

/** peft's lora_alpha for a module: alpha_pattern's entry whose key ends the module path (peft's `(.*\.)?key$`), else lora_alpha; null when absent. */
function metadataAlpha(meta: Record<string, unknown>, part: LoraPart, module: string): number | null {
  const pattern = meta[`${part}.alpha_pattern`];
  if (pattern && typeof pattern === 'object') {
    for (const [key, value] of Object.entries(pattern as Record<string, unknown>)) {
      if (typeof value === 'number' && new RegExp(`(^|\\.)(${key})$`).test(module)) return value;
    }
  }
  const alpha = meta[`${part}.lora_alpha`];
  return typeof alpha === 'number' ? alpha : null;
}

function layer(
  file: SafetensorsFile,
  part: LoraPart,
  module: string,
  naming: LoraLayer['naming'],
  g: { down?: string; up?: string; alpha?: string },
  key: string,
  fallbackAlpha: number | null,
): LoraLayer {
  if (!g.down || !g.up) throw new LoraError(`${file.name}: layer ${key} has no ${g.down ? 'up' : 'down'} weight; the file is incomplete.`);
  const downShape = file.tensors.get(g.down)!.shape;
  const upShape = file.tensors.get(g.up)!.shape;
  const rank = downShape[0]!;
  const linear = downShape.length === 2 && upShape.length === 2;
  const conv = downShape.length === 4 && upShape.length === 4 && upShape[2] === 1 && upShape[3] === 1;
  if (!(linear || conv) || upShape[1] !== rank || rank === 0) {
    throw new LoraError(
      `${file.name}: layer ${key} has down [${downShape.join(', ')}] and up [${upShape.join(', ')}], which are not a LoRA pair (down (r, in[, kh, kw]), up (out, r[, 1, 1])).`,
    );
  }
  const values = (k: string) => {
    const v = tensorToFloat32(file, k);
    if (v.some((x) => !Number.isFinite(x)))
      throw new LoraError(`${file.name}: ${k} holds NaN or infinite values; the file is damaged or was saved from a diverged training run.`);
    return v;
  };
  let alpha = fallbackAlpha ?? rank;
  if (g.alpha) {
    const a = values(g.alpha);
    if (a.length !== 1) throw new LoraError(`${file.name}: ${g.alpha} has ${a.length} values; alpha is one number.`);
    alpha = a[0]!;
  }
  return { part, module, naming, down: values(g.down), up: values(g.up), downShape, upShape, scale: alpha / rank, key };
}
