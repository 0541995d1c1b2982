/**
 * The safety checker Stable Diffusion v1.4 ships (CompVis/stable-diffusion-safety-checker), run as
 * diffusers' StableDiffusionPipeline.run_safety_checker runs it after every decode:
 *
 *   1. each picture as numpy_to_pil gives it (uint8, the same rounding as the result's RGBA) through
 *      CLIPImageProcessor (core/clip-image-processor.ts, numbers from feature_extractor/preprocessor_config.json);
 *   2. `safety_checker/model.onnx` (diffusers' ONNX export) on clip_input (1, 3, 224, 224) per picture, its
 *      score outputs exposed by safety-graph.ts (`images` is fed a (1, 1, 1, 3) placeholder: only the scores are read);
 *   3. each picture decided separately by diffusers' rules (core/safety-decision.ts).
 */
import {
  clipPixelValues,
  parseClipImageProcessorConfig,
  PreprocessorConfigError,
  rgbaToRgb,
  type ClipImageProcessorConfig,
} from '../../core/clip-image-processor.js';
import { ModelFileMissingError, ModelFormatError } from '../../core/errors.js';
import { safetyDecision, type SafetyDecision } from '../../core/safety-decision.js';
import { readModelPart } from '../model/model-folder.js';
import type { ModelSource } from '../model/model-source.js';
import { OrtModel } from '../runtime/ort-model.js';
import type { OrtModule, OrtSessionOptions } from '../runtime/ort.js';
import { SCORE_OUTPUTS, withSafetyScores } from './safety-graph.js';

export const SAFETY_CHECKER_FILE = 'safety_checker/model.onnx';
export const PREPROCESSOR_CONFIG_FILE = 'feature_extractor/preprocessor_config.json';

/** A picture as the pipeline returns it: RGBA8 (H, W, 4). */
export interface RgbaPicture {
  width: number;
  height: number;
  rgba: Uint8Array | Uint8ClampedArray;
}

export class SafetyChecker {
  private constructor(
    private readonly model: OrtModel,
    readonly config: ClipImageProcessorConfig,
  ) {}

  /**
   * Whether a folder has a safety checker. A folder whose model_index.json lists one (a non-null
   * `safety_checker` entry) but lacks its graph is refused rather than run unchecked.
   */
  static async inFolder(source: ModelSource): Promise<boolean> {
    if (await source.has(SAFETY_CHECKER_FILE)) return true;
    const index = JSON.parse(await source.readText('model_index.json')) as Record<string, unknown>;
    const entry = index.safety_checker;
    if (Array.isArray(entry) && entry[1] != null) {
      throw new ModelFileMissingError(
        `${source.name}'s model_index.json lists a safety checker, but ${SAFETY_CHECKER_FILE} is missing: copy the whole folder (or let the app download it again), or turn the safety checker off explicitly.`,
      );
    }
    return false;
  }

  static async load(
    ort: OrtModule,
    source: ModelSource,
    options: { executionProviders: OrtSessionOptions['executionProviders']; extra?: Partial<OrtSessionOptions> },
  ): Promise<SafetyChecker> {
    if (!(await source.has(PREPROCESSOR_CONFIG_FILE))) {
      throw new ModelFileMissingError(
        `${source.name} has ${SAFETY_CHECKER_FILE} but no ${PREPROCESSOR_CONFIG_FILE}, which its preprocessing needs: copy the checkpoint's feature_extractor/ folder too.`,
      );
    }
    let config: ClipImageProcessorConfig;
    try {
      config = parseClipImageProcessorConfig(JSON.parse(await source.readText(PREPROCESSOR_CONFIG_FILE)) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof PreprocessorConfigError || error instanceof SyntaxError)
        throw new ModelFormatError(`${source.name}/${PREPROCESSOR_CONFIG_FILE}: ${error.message}.`);
      throw error;
    }
    // The rewritten graph is fed as bytes; its external data (if any) is read where the export put it.
    const { model, externalData } = await readModelPart(source, 'safety_checker');
    const rewritten = withSafetyScores(model, `${source.name}/${SAFETY_CHECKER_FILE}`);
    const session = await OrtModel.create('safety_checker', ort, rewritten, {
      executionProviders: options.executionProviders,
      externalData,
      extra: options.extra,
    });
    return new SafetyChecker(session, config);
  }

  /**
   * Decides each picture separately, one run each: the export's `images[has_nsfw_concepts] = 0` broadcasts
   * (B) against (B, H, W, 3) and fails for B > 1, so diffusers' OnnxStableDiffusionPipeline also runs it per image.
   */
  async check(pictures: readonly RgbaPicture[]): Promise<SafetyDecision[]> {
    const decisions: SafetyDecision[] = [];
    for (const p of pictures) {
      const { data, width, height } = clipPixelValues(rgbaToRgb(p.rgba), p.width, p.height, this.config);
      const out = await this.model.run({ clip_input: { data, dims: [1, 3, height, width] }, images: { data: new Float32Array(3), dims: [1, 1, 1, 3] } }, [
        SCORE_OUTPUTS.special,
        SCORE_OUTPUTS.concept,
      ]);
      decisions.push(safetyDecision({ specialScores: out[SCORE_OUTPUTS.special]!.data, conceptScores: out[SCORE_OUTPUTS.concept]!.data }));
    }
    return decisions;
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}
