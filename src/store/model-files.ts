/**
 * Which files a Stable Diffusion model folder has, read from its `model_index.json` (diffusers'
 * ONNX layout, as in `OnnxStableDiffusionPipeline`'s export):
 *
 *   model_index.json
 *   text_encoder/model.onnx  [text_encoder/weight_map.json]
 *   unet/model.onnx  [unet/weights.pb, or the external-data files its graph names: ~1.7 GB fp16 in SD v1.4]
 *                    [unet/weight_map.json: where a fused graph packed each layer's weight, for LoRAs (prepare_model.py)]
 *   vae_decoder/model.onnx
 *   [vae_encoder/model.onnx]                               (img2img only)
 *   [taesd_decoder/model.onnx, taesd_encoder/model.onnx]   (the tiny autoencoder: previews, fast decode; listed first, so fetched first)
 *   tokenizer/tokenizer.json, or tokenizer/vocab.json + tokenizer/merges.txt, or both
 *   [tokenizer/tokenizer_config.json, special_tokens_map.json]
 *   scheduler/scheduler_config.json
 *
 * Bracketed files are optional: downloaded when the manifest lists them or the server has them.
 * The tokenizer comes in either form (TOKENIZER_FORMS): transformers 5's save_pretrained writes
 * tokenizer.json + tokenizer_config.json only; older exports (and the SD v1.4 repository) have
 * vocab.json + merges.txt. Each file is optional; `checkTokenizerFiles` requires one whole form.
 * External-data files are read from each graph by WeightStore (any names, several files per part).
 *   [safety_checker/model.onnx, feature_extractor/preprocessor_config.json]  (the safety checker: only when
 *                                                           model_index.json lists it and the user keeps it on)
 */
import { ModelFileMissingError, ModelFormatError } from '../core/errors.js';
import type { Manifest } from './manifest.js';

export const MODEL_INDEX_PATH = 'model_index.json';
export const SAFETY_CHECKER_FILE = 'safety_checker/model.onnx';

export interface ModelFile {
  /** Relative to the folder root, "/"-separated. */
  path: string;
  /** A required file that cannot be fetched fails the download; an optional one is skipped. */
  required: boolean;
  /** From the manifest, when the model has one. */
  size?: number;
  sha256?: string;
}

const COMPONENT_FILES: Record<string, { path: string; required: boolean }[]> = {
  taesd_decoder: [{ path: 'taesd_decoder/model.onnx', required: false }],
  taesd_encoder: [{ path: 'taesd_encoder/model.onnx', required: false }],
  text_encoder: [
    { path: 'text_encoder/model.onnx', required: true },
    { path: 'text_encoder/weight_map.json', required: false },
  ],
  unet: [
    { path: 'unet/model.onnx', required: true },
    { path: 'unet/weights.pb', required: false },
    { path: 'unet/weight_map.json', required: false },
  ],
  vae_decoder: [{ path: 'vae_decoder/model.onnx', required: true }],
  vae_encoder: [{ path: 'vae_encoder/model.onnx', required: false }],
  tokenizer: [
    { path: 'tokenizer/vocab.json', required: false },
    { path: 'tokenizer/merges.txt', required: false },
    { path: 'tokenizer/tokenizer_config.json', required: false },
    { path: 'tokenizer/special_tokens_map.json', required: false },
    { path: 'tokenizer/tokenizer.json', required: false },
  ],
  scheduler: [{ path: 'scheduler/scheduler_config.json', required: true }],
  safety_checker: [{ path: 'safety_checker/model.onnx', required: false }],
  feature_extractor: [{ path: 'feature_extractor/preprocessor_config.json', required: false }],
};

/** The safety checker's components: fetched only when the user keeps the checker on (`modelFiles`' safetyChecker). */
export const SAFETY_CHECKER_COMPONENTS = ['safety_checker', 'feature_extractor'];

/** The tokenizer forms the engine reads (ClipTokenizer.fromSource): one of them must be complete. */
export const TOKENIZER_FORMS: readonly (readonly string[])[] = [['tokenizer/tokenizer.json'], ['tokenizer/vocab.json', 'tokenizer/merges.txt']];

/** Throws ModelFileMissingError unless `has` finds every file of one tokenizer form; `where` names the folder. */
export function checkTokenizerFiles(has: (path: string) => boolean, where: string): void {
  if (TOKENIZER_FORMS.some((form) => form.every(has))) return;
  throw new ModelFileMissingError(
    `${where} has no usable tokenizer: it needs tokenizer/tokenizer.json (as transformers 5 saves it) or tokenizer/vocab.json + tokenizer/merges.txt. ` +
      'Check that the URL points at a diffusers ONNX model folder (the one holding model_index.json) and that the tokenizer/ files were uploaded.',
  );
}

const REQUIRED_COMPONENTS = ['text_encoder', 'unet', 'vae_decoder', 'tokenizer', 'scheduler'];

/**
 * The files to fetch besides model_index.json itself. With a manifest, optional files are taken iff
 * it lists them and every file carries the manifest's size and digest.
 */
export function modelFiles(modelIndexText: string, where: string, manifest?: Manifest, options: { safetyChecker?: boolean } = {}): ModelFile[] {
  let index: Record<string, unknown>;
  try {
    index = JSON.parse(modelIndexText) as Record<string, unknown>;
  } catch {
    throw new ModelFormatError(`${where} is not JSON. Point the URL at a diffusers ONNX folder (the one holding model_index.json).`);
  }
  if (typeof index !== 'object' || index === null || Array.isArray(index)) {
    throw new ModelFormatError(`${where} is not a diffusers model_index.json (expected an object).`);
  }
  // A component is listed as "name": ["library", "ClassName"]; [null, null] means absent.
  const listed = (name: string) => Array.isArray(index[name]) && (index[name] as unknown[])[1] != null;
  const missing = REQUIRED_COMPONENTS.filter((name) => !listed(name));
  if (missing.length > 0) {
    throw new ModelFormatError(
      `${where} lists no ${missing.join(', ')}: this is not a Stable Diffusion ONNX pipeline. ` +
        'Use a folder exported with diffusers\' OnnxStableDiffusionPipeline (e.g. the "onnx" revision of CompVis/stable-diffusion-v1-4).',
    );
  }
  const byPath = new Map(manifest?.files.map((entry) => [entry.path, entry]));
  const files: ModelFile[] = [];
  for (const [component, list] of Object.entries(COMPONENT_FILES)) {
    // The tiny autoencoder's parts: where model_index.json lists them, or a manifest has them.
    if (!listed(component) && !(component.startsWith('taesd_') && byPath.has(list[0].path))) continue;
    if (!options.safetyChecker && SAFETY_CHECKER_COMPONENTS.includes(component)) continue;
    for (const { path, required } of list) {
      if (!manifest) {
        files.push({ path, required });
        continue;
      }
      const entry = byPath.get(path);
      if (entry) files.push({ path, required, size: entry.size, sha256: entry.sha256 });
      else if (required) {
        throw new ModelFileMissingError(
          `The model's manifest.json does not list ${path}, which the model needs. Regenerate the manifest with tools/make-manifest.ts after adding the file.`,
        );
      }
    }
  }
  if (manifest && listed('tokenizer')) checkTokenizerFiles((path) => byPath.has(path), `The model's manifest.json`);
  return files;
}
