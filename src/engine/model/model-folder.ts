/**
 * Reads a diffusers ONNX export (model_index.json, scheduler/, tokenizer/, text_encoder/, unet/ with
 * external data files named in its graph, vae_decoder/, vae_encoder/, and the tiny autoencoder's optional
 * taesd_decoder/ and taesd_encoder/, tiny-autoencoder.ts) from a ModelSource: configuration only; the
 * sessions are created by the pipeline. Everything that can be read from the folder is read, with
 * SD v1.4's values as the documented defaults.
 */
import { ModelFileMissingError, ModelFormatError } from '../../core/errors.js';
import { parseSchedulerConfig } from '../../core/schedulers/config.js';
import type { SchedulerConfig } from '../../core/schedulers/scheduler.js';
import {
  geometry,
  SD_V1_GEOMETRY,
  type ModelGeometry,
  type UnetAttention,
  unetAttentionFromConfig,
  unetDownsamplingsFromConfig,
  unetDownsamplingsFromGraph,
  vaeScaleFactorFromConfig,
} from './model-geometry.js';
import type { ModelSource } from './model-source.js';
import { externalDataFiles } from '../../core/onnx/external-data.js';
import type { ExternalDataEntry } from '../runtime/ort.js';

export const SD_V1_VAE_SCALING_FACTOR = 0.18215;

export type ModelPart = 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'safety_checker' | 'taesd_decoder' | 'taesd_encoder';

export interface ModelFolder {
  source: ModelSource;
  schedulerConfig: SchedulerConfig;
  /** vae_decoder/config.json's scaling_factor, else SD v1's 0.18215. */
  vaeScalingFactor: number;
  /** unet/config.json's sample_size (latent side) when the folder has one. */
  unetSampleSize: number | null;
  /** 2^(VAE blocks - 1) from vae_decoder/config.json, else SD v1's 8. */
  vaeScaleFactor: number;
  /** From unet/config.json's down blocks, else the UNet graph's node names, else SD v1's 3. */
  unetDownsamplings: number;
  /** unet/config.json's in_channels, else the VAE's latent_channels, else 4. */
  latentChannels: number;
  /** unet/config.json's in_channels when it has one: 4, or 9 for inpainting UNets (latents + mask + masked-image latents). */
  unetInChannels: number | null;
  /** unet/config.json's time_cond_proj_dim: an LCM-distilled UNet's guidance-embedding width; null when unset. */
  timeCondProjDim: number | null;
  /** Whether vae_encoder/model.onnx exists (needed for img2img and inpainting only). */
  hasVaeEncoder: boolean;
  /** unet/config.json's highest-resolution attention (heads, level), else null (SD v1's is assumed). */
  unetAttention: UnetAttention | null;
  /** Whether taesd_decoder/model.onnx exists (the tiny autoencoder's decoder: previews, `decoder: 'tiny'`). */
  hasTinyDecoder: boolean;
  /** Whether taesd_encoder/model.onnx exists (img2img's encoder with `decoder: 'tiny'`). */
  hasTinyEncoder: boolean;
  /** taesd_decoder/config.json's scaling_factor, else AutoencoderTiny's 1.0. */
  tinyScalingFactor: number;
}

async function readJson(source: ModelSource, path: string): Promise<Record<string, unknown>> {
  const text = await source.readText(path);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ModelFormatError(`${source.name}/${path} is not valid JSON: the file may be damaged or an error page.`);
  }
}

async function readOptionalJson(source: ModelSource, path: string): Promise<Record<string, unknown> | null> {
  return (await source.has(path)) ? readJson(source, path) : null;
}

export async function openModelFolder(source: ModelSource): Promise<ModelFolder> {
  if (!(await source.has('model_index.json'))) {
    throw new ModelFileMissingError(
      `"${source.name}" has no model_index.json: point to the root of a diffusers ONNX export (the folder with model_index.json, unet/, vae_decoder/...).`,
    );
  }
  const index = await readJson(source, 'model_index.json');
  for (const part of ['text_encoder', 'unet', 'vae_decoder'] as const) {
    if (!(part in index) && !(await source.has(`${part}/model.onnx`))) {
      throw new ModelFormatError(`"${source.name}" is not a Stable Diffusion ONNX export: model_index.json lists no ${part}.`);
    }
  }
  const schedulerConfig = parseSchedulerConfig((await readOptionalJson(source, 'scheduler/scheduler_config.json')) ?? {});
  const vaeConfig = await readOptionalJson(source, 'vae_decoder/config.json');
  const unetConfig = await readOptionalJson(source, 'unet/config.json');
  const scaling = vaeConfig?.scaling_factor;
  const hasTinyDecoder = await source.has('taesd_decoder/model.onnx');
  const tinyScaling = hasTinyDecoder ? (await readOptionalJson(source, 'taesd_decoder/config.json'))?.scaling_factor : undefined;
  const sampleSize = unetConfig?.sample_size;
  const inChannels = typeof unetConfig?.in_channels === 'number' ? unetConfig.in_channels : null;
  // an inpainting UNet's 9 input channels are latents (4) + mask (1) + masked-image latents (4)
  const channels = [inChannels === 9 ? null : inChannels, vaeConfig?.latent_channels, inChannels === 9 ? 4 : null].find((c) => typeof c === 'number');
  const downsamplings =
    unetDownsamplingsFromConfig(unetConfig) ??
    ((await source.has('unet/model.onnx')) ? unetDownsamplingsFromGraph(await source.readBytes('unet/model.onnx')) : null) ??
    SD_V1_GEOMETRY.unetDownsamplings;
  return {
    source,
    schedulerConfig,
    vaeScalingFactor: typeof scaling === 'number' ? scaling : SD_V1_VAE_SCALING_FACTOR,
    unetSampleSize: typeof sampleSize === 'number' ? sampleSize : null,
    vaeScaleFactor: vaeScaleFactorFromConfig(vaeConfig) ?? SD_V1_GEOMETRY.vaeScaleFactor,
    unetDownsamplings: downsamplings,
    latentChannels: typeof channels === 'number' ? channels : SD_V1_GEOMETRY.latentChannels,
    unetInChannels: inChannels,
    timeCondProjDim: typeof unetConfig?.time_cond_proj_dim === 'number' ? unetConfig.time_cond_proj_dim : null,
    hasVaeEncoder: await source.has('vae_encoder/model.onnx'),
    unetAttention: unetAttentionFromConfig(unetConfig),
    hasTinyDecoder,
    hasTinyEncoder: await source.has('taesd_encoder/model.onnx'),
    tinyScalingFactor: typeof tinyScaling === 'number' ? tinyScaling : 1,
  };
}

/** The folder's geometry; `fixedLatent`: the latent size of a UNet exported with static dims. */
export function folderGeometry(folder: ModelFolder, fixedLatent: { width: number; height: number } | null = null): ModelGeometry {
  const { vaeScaleFactor, unetDownsamplings, latentChannels, schedulerConfig, unetAttention: attention } = folder;
  return {
    ...geometry({
      vaeScaleFactor,
      unetDownsamplings,
      latentChannels,
      sampleSize: folder.unetSampleSize ?? SD_V1_GEOMETRY.defaultWidth / SD_V1_GEOMETRY.vaeScaleFactor,
      fixedLatent,
      schedulerConfig,
      attention,
    }),
    tinyDecoder: folder.hasTinyDecoder,
  };
}

/** The ONNX bytes of one part, where it lies on disk when it does, and its external-data files. */
export interface ModelPartFiles {
  model: Uint8Array;
  /** A local path of model.onnx (Node folders): runtimes that open files read the model and its external data from there. */
  modelFile?: string;
  /**
   * Each external-data file the graph names (TensorProto.external_data `location`), by that name:
   * its bytes, or its local path where the source is on disk (never read into one buffer here, so
   * files over 2 GiB load; onnxruntime reads them itself).
   */
  externalData: ExternalDataEntry[];
}

export async function readModelPart(source: ModelSource, part: ModelPart): Promise<ModelPartFiles> {
  const modelPath = `${part}/model.onnx`;
  const model = await source.readBytes(modelPath);
  const files = externalDataFiles(model, `${source.name}/${modelPath}`);
  const externalData: ExternalDataEntry[] = [];
  for (const file of files) {
    const path = `${part}/${file.location}`;
    const local = source.localPath?.(path);
    if (local !== undefined) {
      if (!(await source.has(path)))
        throw new ModelFileMissingError(
          `${source.name}/${modelPath} keeps its weights in ${file.location}, which is missing: copy every file of ${part}/ (model.onnx and ${files.map((f) => f.location).join(', ')}).`,
        );
      externalData.push({ path: file.location, data: local });
    } else {
      externalData.push({ path: file.location, data: await source.readBytes(path) });
    }
  }
  const modelFile = source.localPath?.(modelPath);
  return { model, externalData, ...(modelFile !== undefined ? { modelFile } : {}) };
}
