/**
 * The UNet's part of a sampler step, as diffusers' StableDiffusionPipeline calls it: the noise prediction
 * on [x ‖ x] with [uncond ‖ cond] text embeddings, then classifier-free guidance
 * (eps = uncond + scale * (cond - uncond)). The inputs that stay the same for a whole generation (text
 * embeddings, an LCM UNet's guidance embedding, one timestep tensor per distinct timestep) are made once
 * and, on WebGPU, kept in GPU memory.
 */
import { classifierFreeGuidance, concat } from '../core/latents.js';
import type { Backend } from './runtime/model-fit.js';
import type { OrtModel, PreparedInput } from './runtime/ort-model.js';
import { explainRunError } from './runtime/session-errors.js';
import type { Conditioning } from './text/conditioning.js';

/** UNet inputs made once per generation (see prepareUnetInputs). */
export interface UnetInputs {
  /** Batch of each UNet call: 2 for CFG in one call, else 1. */
  batch: number;
  /** One per UNet call of a step. */
  encoderHiddenStates: PreparedInput[];
  timestep: (t: number) => PreparedInput;
  /** An LCM-distilled UNet's guidance embedding (batch 1), else null. */
  timestepCond: PreparedInput | null;
  dispose: () => void;
}

/** What a failed UNet call's error names: the backend, and the VAE factor that turns latent sizes into pixels. */
export interface UnetRunContext {
  backend: Backend;
  vaeScaleFactor: number;
}

/**
 * The UNet inputs that stay the same for a whole generation, made once: the text embeddings per
 * UNet call ([uncond ‖ cond] for CFG in one call; uncond, cond in two calls for exports fixed at
 * batch 1 or when the two differ in length, A1111's default; cond without guidance), in GPU memory
 * on WebGPU, and a timestep tensor per distinct timestep.
 */
export async function prepareUnetInputs(
  unet: OrtModel,
  cond: Conditioning,
  uncond: Conditioning | null,
  timestepCond: Float32Array | null,
): Promise<UnetInputs> {
  const separate = uncond !== null && (unet.input('sample').shape[0] === 1 || uncond.sequenceLength !== cond.sequenceLength);
  const perCall: { data: Float32Array; batch: number; c: Conditioning }[] =
    uncond === null
      ? [{ data: cond.data, batch: 1, c: cond }]
      : separate
        ? [
            { data: uncond.data, batch: 1, c: uncond },
            { data: cond.data, batch: 1, c: cond },
          ]
        : [{ data: concat(uncond.data, cond.data), batch: 2, c: cond }]; // (2, 77k, d): uncond ‖ cond
  const batch = perCall[0].batch;
  const states: PreparedInput[] = [];
  const timesteps = new Map<number, PreparedInput>();
  let guidanceEmbedding: PreparedInput | null = null;
  const dispose = () => [...states, ...timesteps.values(), ...(guidanceEmbedding ? [guidanceEmbedding] : [])].forEach((input) => input.dispose());
  try {
    for (const { data, batch: b, c } of perCall) {
      states.push(await unet.prepare('encoder_hidden_states', { data, dims: [b, c.sequenceLength, c.width] }));
    }
    if (timestepCond) guidanceEmbedding = await unet.prepare('timestep_cond', { data: timestepCond, dims: [1, timestepCond.length] });
  } catch (error) {
    dispose();
    throw error;
  }
  const timestep = (t: number) => {
    let input = timesteps.get(t);
    if (!input) timesteps.set(t, (input = unet.prepareOnCpu('timestep', { data: new Float32Array(batch).fill(t), dims: [batch] })));
    return input;
  };
  return { batch, encoderHiddenStates: states, timestep, timestepCond: guidanceEmbedding, dispose };
}

/** eps for one step: the UNet on (2, 4, h, w) = [x ‖ x] with [uncond ‖ cond] (or two batch-1 calls, uncond then cond), then guidance. */
export async function predictNoise(
  unet: OrtModel,
  x: Float32Array,
  t: number,
  inputs: UnetInputs,
  sampleShape: number[],
  guidanceScale: number,
  context: UnetRunContext,
): Promise<Float32Array> {
  const run = async (sample: Float32Array, encoderHiddenStates: PreparedInput) => {
    const out = await unet
      .run(
        {
          sample: { data: sample, dims: [inputs.batch, ...sampleShape.slice(1)] },
          timestep: inputs.timestep(t),
          encoder_hidden_states: encoderHiddenStates,
          ...(inputs.timestepCond ? { timestep_cond: inputs.timestepCond } : {}),
        },
        [unet.outputs[0].name],
      )
      .catch((error: unknown) => {
        const f = context.vaeScaleFactor;
        throw explainRunError('UNet', context.backend, error, sampleShape[3] * f, sampleShape[2] * f);
      });
    return Object.values(out)[0].data;
  };
  const [first, second] = inputs.encoderHiddenStates;
  if (second) {
    // Exports with a fixed batch of 1, or cond and uncond of different lengths: two calls instead of one.
    return classifierFreeGuidance(await run(x, first), await run(x, second), guidanceScale);
  }
  if (inputs.batch === 1) return run(x, first); // no guidance
  const both = await run(concat(x, x), first); // (2, 4, h, w): uncond ‖ cond
  const half = both.length / 2; // (2, C, h, w) out, whatever the input channels
  return classifierFreeGuidance(both.subarray(0, half), both.subarray(half), guidanceScale);
}
