/**
 * The error for NaN/Inf out of a pipeline stage (text encoder, UNet, VAE): which stage, what it produced,
 * and the likely cause for the model's precision (an fp16 part overflowing on this GPU, or damaged weights),
 * so a run stops with advice instead of returning a black picture.
 */
import { NonFiniteOutputError } from '../core/errors.js';

/** What the advice depends on: the model's float type and its VAE scaling factor (vae_decoder/config.json). */
export interface ModelPrecision {
  floatType: 'float32' | 'float16';
  vaeScalingFactor: number;
}

/** `stage` produced NaN/Inf `what` in `part`; `alternative` is appended to the fp32 advice (e.g. ' or another scheduler'). */
export function nonFiniteError(model: ModelPrecision, stage: string, what: string, part: string, alternative = ''): NonFiniteOutputError {
  const overflow = `an fp16 ${part} overflowing on this GPU (use the fp32 ${part}: load the fp32 model${alternative})`;
  const config = part === 'VAE' ? `, or vae_decoder/config.json's scaling_factor (${model.vaeScalingFactor}) being wrong` : '';
  const cause =
    model.floatType === 'float16'
      ? `Likely cause: ${overflow}${config}.`
      : `Likely cause: damaged ${part} weights (re-download the model)${config}; with fp16 models, ${overflow}.`;
  return new NonFiniteOutputError(`${stage} produced NaN/Inf ${what} (${model.floatType}). ${cause} No image was made.`);
}
