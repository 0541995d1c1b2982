/**
 * The StableDiffusionPipeline's ONNX sessions (pipeline.ts), made from a diffusers ONNX folder as
 * diffusers' OnnxStableDiffusionPipeline.from_pretrained loads its parts: the tokenizer, text encoder,
 * UNet and VAE decoder at load (with LoRAs merged into a view of the stored weights, lora/lora-parts.ts),
 * the safety checker when the folder has one and it is on; the parts a new LoRA set changes made again
 * (setLoras); the VAE encoder on first use (img2img / inpainting). A part that fails releases the ones
 * made before it.
 */
import { ModelFormatError } from '../core/errors.js';
import type { LoraPart } from '../core/lora/lora-file.js';
import { openModelFolder, folderGeometry, readModelPart, type ModelFolder, type ModelPart, type ModelPartFiles } from './model/model-folder.js';
import type { ModelSource } from './model/model-source.js';
import { preciseGroupNorm } from './runtime/precise-group-norm.js';
import { OrtModel } from './runtime/ort-model.js';
import type { OrtModule } from './runtime/ort.js';
import { loraPartFiles, type ActiveLora } from './lora/lora-parts.js';
import type { LoadProgress } from './events.js';
import { SafetyChecker } from './safety/safety-checker.js';
import { ClipTokenizer } from './text/tokenizer.js';
import type { PipelineLoadOptions } from './pipeline-types.js';

/** What StableDiffusionPipeline.load makes before the pipeline exists. */
export interface PipelineParts {
  folder: ModelFolder;
  tokenizer: ClipTokenizer;
  textEncoder: OrtModel;
  unet: OrtModel;
  vaeDecoder: OrtModel;
  safetyChecker: SafetyChecker | null;
}

/** One part's session from its files (stored, or a LoRA-merged view), with the pipeline's session options. */
function partSession(ort: OrtModule, part: ModelPart, files: ModelPartFiles, options: PipelineLoadOptions): Promise<OrtModel> {
  const { model, externalData, modelFile } = files;
  return OrtModel.create(part, ort, model, {
    executionProviders: options.executionProviders,
    externalData,
    modelFile,
    extra: options.sessionOptions?.[part],
    gpuResidentInputs: options.gpuResidentInputs,
  });
}

/** The folder read, its rules checked (options.checkFolder), then every session, reporting each part as it starts. */
export async function loadPipelineParts(ort: OrtModule, source: ModelSource, options: PipelineLoadOptions): Promise<PipelineParts> {
  const folder = await openModelFolder(source);
  options.checkFolder?.(folderGeometry(folder));
  const checked = options.safetyChecker !== false && (await SafetyChecker.inFolder(source));
  const report = (part: LoadProgress['part'], index: number) => options.onProgress?.({ stage: 'load', part, index, count: checked ? 5 : 4 });
  report('tokenizer', 0);
  const tokenizer = await ClipTokenizer.fromSource(source);
  const models: OrtModel[] = [];
  try {
    // LoRAs: every layer matched against both graphs before anything loads, then merged (a view of the stored weights)
    const merged = await loraPartFiles(source, options.loras ?? [], ort);
    const parts = ['text_encoder', 'unet', 'vae_decoder'] as const;
    for (const [i, part] of parts.entries()) {
      report(part, i + 1);
      const view = merged.get(part);
      const files = view ?? (await readModelPart(source, part));
      const session = partSession(ort, part, files, options);
      // A part onnxruntime cannot read names its stored files, so a store can forget them (LocalEngine.load).
      models.push(
        await session.catch((error: unknown) => {
          if (error instanceof ModelFormatError && !view) error.files = [`${part}/model.onnx`, ...files.externalData.map((e) => `${part}/${e.path}`)];
          throw error;
        }),
      );
    }
  } catch (error) {
    await Promise.all(models.map((m) => m.dispose()));
    throw error;
  }
  const [textEncoder, unet, vaeDecoder] = models;
  let safetyChecker: SafetyChecker | null = null;
  if (checked) {
    report('safety_checker', 4);
    safetyChecker = await SafetyChecker.load(ort, source, {
      executionProviders: options.executionProviders,
      extra: options.sessionOptions?.safety_checker,
    }).catch(async (error: unknown) => {
      await Promise.all(models.map((m) => m.dispose()));
      throw error;
    });
  }
  return { folder, tokenizer, textEncoder, unet, vaeDecoder, safetyChecker };
}

/**
 * New sessions for the parts a LoRA set changes (lora-parts.ts' changedLoraParts), from the stored weights
 * plus `loras` ([] gives back the stored model, byte for byte). Every layer is checked and every session
 * made before this returns; a failure releases the ones already made and leaves the caller's sessions alone.
 */
export async function loraPartSessions(
  ort: OrtModule,
  source: ModelSource,
  options: PipelineLoadOptions,
  loras: readonly ActiveLora[],
  changed: readonly LoraPart[],
): Promise<Map<LoraPart, OrtModel>> {
  const merged = await loraPartFiles(source, loras, ort, changed);
  const created = new Map<LoraPart, OrtModel>();
  try {
    for (const part of changed) {
      created.set(part, await partSession(ort, part, merged.get(part) ?? (await readModelPart(source, part)), options));
    }
  } catch (error) {
    await Promise.all([...created.values()].map((m) => m.dispose()));
    throw error;
  }
  return created;
}

/** The VAE encoder's session (img2img / inpainting), its GroupNorms rewritten with short sums where the runtime reads bytes. */
export async function loadVaeEncoder(ort: OrtModule, source: ModelSource, options: PipelineLoadOptions): Promise<OrtModel> {
  const { model, externalData, modelFile } = await readModelPart(source, 'vae_encoder');
  // GroupNorm with short sums (precise-group-norm.ts): onnxruntime's long float32 sums cost 7e-5 on flat pictures.
  // A runtime that opens the file itself (onnxruntime-node) keeps the file when its weights are external.
  const precise = modelFile !== undefined && externalData.length > 0 && ort.opensModelFiles ? null : preciseGroupNorm(model);
  return OrtModel.create('vae_encoder', ort, precise ?? model, {
    executionProviders: options.executionProviders,
    externalData,
    ...(precise ? {} : { modelFile }),
    extra: options.sessionOptions?.vae_encoder,
    gpuResidentInputs: options.gpuResidentInputs,
  });
}
