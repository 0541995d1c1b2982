/**
 * What a model allows in a request, read from its folder (configs, else the UNet graph), with
 * SD v1's values as the documented defaults:
 *   - the VAE factor: 2^(VAE blocks - 1) (diffusers' `vae_scale_factor`), 8 for SD v1;
 *   - the size multiple: VAE factor x 2^(UNet down-samplings). Each down-sampling halves the latent
 *     and the up path concatenates skip connections, so a latent side that does not halve evenly
 *     every time ends in a shape error inside the runtime (`Concat`): 32 for shapes-sd, 64 for SD v1.4;
 *   - latent channels (4 for SD v1) and the default size (the UNet's sample_size x VAE factor).
 */
import type { SchedulerConfig } from '../../core/schedulers/scheduler.js';

export interface ModelGeometry {
  /** Width and height must be multiples of this: vaeScaleFactor x 2^unetDownsamplings. */
  sizeMultiple: number;
  vaeScaleFactor: number;
  unetDownsamplings: number;
  latentChannels: number;
  defaultWidth: number;
  defaultHeight: number;
  /** Exports with static UNet dims take only this size; null when the size is free. */
  fixedSize: { width: number; height: number } | null;
  /** Whether the folder has the tiny decoder (taesd_decoder/) for `decoder: 'tiny'`; undefined: not known yet (a preset before its folder is read). */
  tinyDecoder?: boolean;
  /** scheduler/scheduler_config.json, read (the step-count limits depend on it); absent: SD v1.4's. */
  schedulerConfig?: SchedulerConfig;
  /** The UNet's highest-resolution self-attention (the activation limits depend on it); absent: SD v1's. */
  attention?: UnetAttention;
}

/**
 * The UNet's largest attention: `heads` heads at the down block with index `level` (the latent halved
 * `level` times), where the self-attention scores are heads x (h x w / 4^level)^2 per batch entry.
 * SD v1: 8 heads at level 0 (64 x 64 latent tokens at 512 x 512).
 */
export interface UnetAttention {
  heads: number;
  level: number;
}

export const SD_V1_ATTENTION: UnetAttention = { heads: 8, level: 0 };

/**
 * From unet/config.json: the first down block with attention ("CrossAttnDownBlock2D", "AttnDownBlock2D")
 * and its heads (diffusers' `num_attention_heads`, else the older `attention_head_dim`, which SD v1
 * configs use for the head count; a list gives one per block). Null without such a block or config.
 */
export function unetAttentionFromConfig(config: Record<string, unknown> | null): UnetAttention | null {
  const blocks = config?.down_block_types;
  if (!Array.isArray(blocks)) return null;
  const level = blocks.findIndex((b) => typeof b === 'string' && b.includes('Attn'));
  if (level === -1) return null;
  const heads = config?.num_attention_heads ?? config?.attention_head_dim;
  const at = Array.isArray(heads) ? heads[level] : heads;
  return typeof at === 'number' && at > 0 ? { heads: at, level } : null;
}

/** SD v1.x: VAE factor 8, 3 UNet down-samplings (4 down blocks), 4 latent channels, 512x512. */
export const SD_V1_GEOMETRY: ModelGeometry = geometry({ vaeScaleFactor: 8, unetDownsamplings: 3, latentChannels: 4, sampleSize: 64 });

/**
 * What is known before a model is loaded: only the VAE's factor 8 (every SD v1 model), so surfaces
 * can check sizes early; the loaded model's own geometry is checked again before any work.
 */
export const ANY_SD_V1_GEOMETRY: ModelGeometry = { ...SD_V1_GEOMETRY, sizeMultiple: 8, unetDownsamplings: 0 };

export function geometry(g: {
  vaeScaleFactor: number;
  unetDownsamplings: number;
  latentChannels: number;
  sampleSize: number;
  fixedLatent?: { width: number; height: number } | null;
  schedulerConfig?: SchedulerConfig;
  attention?: UnetAttention | null;
}): ModelGeometry {
  const fixed = g.fixedLatent ? { width: g.fixedLatent.width * g.vaeScaleFactor, height: g.fixedLatent.height * g.vaeScaleFactor } : null;
  const side = g.sampleSize * g.vaeScaleFactor;
  return {
    sizeMultiple: g.vaeScaleFactor * 2 ** g.unetDownsamplings,
    vaeScaleFactor: g.vaeScaleFactor,
    unetDownsamplings: g.unetDownsamplings,
    latentChannels: g.latentChannels,
    defaultWidth: fixed?.width ?? side,
    defaultHeight: fixed?.height ?? side,
    fixedSize: fixed,
    ...(g.schedulerConfig ? { schedulerConfig: g.schedulerConfig } : {}),
    ...(g.attention ? { attention: g.attention } : {}),
  };
}

/** 2^(len(block_out_channels) - 1), diffusers' vae_scale_factor; null without a usable config. */
export function vaeScaleFactorFromConfig(config: Record<string, unknown> | null): number | null {
  const blocks = config?.block_out_channels;
  return Array.isArray(blocks) && blocks.length > 0 ? 2 ** (blocks.length - 1) : null;
}

/** UNet down-samplings from unet/config.json: every down block but the last halves the latent. */
export function unetDownsamplingsFromConfig(config: Record<string, unknown> | null): number | null {
  const blocks = config?.down_block_types ?? config?.block_out_channels;
  return Array.isArray(blocks) && blocks.length > 0 ? blocks.length - 1 : null;
}

/**
 * UNet down-samplings from the ONNX graph of a diffusers export: the distinct `down_blocks.N` that
 * own a `downsamplers.0/conv` node (node names survive the export and fp16 conversion). Null when the
 * graph has no such names (another exporter).
 */
export function unetDownsamplingsFromGraph(model: Uint8Array): number | null {
  const needle = new TextEncoder().encode('/downsamplers.0/conv');
  const prefix = new TextEncoder().encode('down_blocks.');
  const blocks = new Set<string>();
  outer: for (let i = model.indexOf(needle[0]); i !== -1; i = model.indexOf(needle[0], i + 1)) {
    for (let j = 1; j < needle.length; j++) if (model[i + j] !== needle[j]) continue outer;
    // Walk back over the block number to "down_blocks.".
    let k = i - 1;
    while (k >= 0 && model[k] >= 0x30 && model[k] <= 0x39) k--;
    if (k === i - 1) continue;
    const start = k - prefix.length + 1;
    if (start < 0 || !prefix.every((b, p) => model[start + p] === b)) continue;
    blocks.add(String.fromCharCode(...model.subarray(k + 1, i)));
  }
  return blocks.size > 0 ? blocks.size : null;
}
