/**
 * Guidance off means one UNet call a step (issue 20): as diffusers' `do_classifier_free_guidance`
 * (guidance_scale > 1 and no time_cond_proj_dim), guidance <= 1 runs the UNet at batch 1 on the prompt
 * alone (the negative prompt is not even encoded), guidance > 1 at batch 2 ([uncond ‖ cond]), and an
 * LCM-distilled UNet (a timestep_cond input) at batch 1 with its guidance embedding whatever the guidance.
 * The runtime is wrapped to record every session.run's inputs; the results themselves are held against
 * diffusers in fewstep-diffusers.test.ts.
 */
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../node/directory-source.js';
import { wasmRuntime } from '../node/ort-node.js';
import { StableDiffusionPipeline } from './pipeline.js';
import type { OrtModule, OrtSession } from './runtime/ort.js';

interface Run {
  inputs: string[];
  batch: number | null;
}

/** wasmRuntime() with every session.run's input names and `sample` / `input_ids` batch recorded. */
function recordingRuntime(runs: Run[]): OrtModule {
  const inner = wasmRuntime();
  const create = async (...args: unknown[]): Promise<OrtSession> => {
    const session = await (inner.InferenceSession.create as (...a: unknown[]) => Promise<OrtSession>)(...args);
    return new Proxy(session, {
      get(target, prop) {
        if (prop === 'run') {
          return (feeds: Record<string, { dims: readonly number[] }>, ...rest: unknown[]) => {
            const main = feeds.sample ?? feeds.input_ids;
            runs.push({ inputs: Object.keys(feeds).sort(), batch: main ? main.dims[0] : null });
            return (target.run as (...a: unknown[]) => unknown).apply(target, [feeds, ...rest]);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return {
    Tensor: inner.Tensor,
    InferenceSession: { ...inner.InferenceSession, create } as unknown as OrtModule['InferenceSession'],
    opensModelFiles: inner.opensModelFiles,
  };
}

const unetRuns = (runs: Run[]) => runs.filter((r) => r.inputs.includes('timestep'));
const textRuns = (runs: Run[]) => runs.filter((r) => r.inputs.includes('input_ids'));
/** 4 LCM steps at 64x64 with a negative prompt, at the given guidance. */
const fourLcmSteps = (pipeline: StableDiffusionPipeline, guidanceScale: number) =>
  pipeline.generate({ prompt: 'a red circle', negativePrompt: 'green', scheduler: 'lcm', numInferenceSteps: 4, guidanceScale, seed: 1, width: 64, height: 64 });

describe('UNet calls per step by guidance (tiny-sd-fp32)', () => {
  const runs: Run[] = [];
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(recordingRuntime(runs), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it.each([
    ['guidance 0, a negative prompt given', 1, 0],
    ['guidance 1', 1, 1],
    ['guidance 1.5', 2, 1.5],
    ['guidance 7.5', 2, 7.5],
  ])('%s: 4 LCM steps are 4 UNet calls at batch %i', async (_, batch, guidanceScale) => {
    runs.length = 0;
    await fourLcmSteps(pipeline, guidanceScale);
    expect(unetRuns(runs).map((r) => r.batch)).toEqual([batch, batch, batch, batch]);
    expect(textRuns(runs)).toHaveLength(batch); // the negative prompt is encoded only for CFG
  });
  it('refuses more LCM steps than its distillation schedule has (50) in the one validator, before any model runs', async () => {
    runs.length = 0;
    await expect(pipeline.generate({ prompt: 'a red circle', scheduler: 'lcm', numInferenceSteps: 60, seed: 1, width: 64, height: 64 })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      field: 'numInferenceSteps',
      message: expect.stringMatching(/^Steps: the lcm scheduler takes at most 50 /),
    });
    expect(runs).toEqual([]);
  });
});

describe('an LCM-distilled UNet takes timestep_cond and no CFG', () => {
  const runs: Run[] = [];
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sd-lcm-calls-'));
    for (const part of ['model_index.json', 'scheduler', 'tokenizer', 'text_encoder', 'vae_decoder'])
      symlinkSync(resolve('public/models/shapes-sd-fp32', part), join(folder, part));
    symlinkSync(resolve('fixtures/fewstep-refs/lcm-unet/unet'), join(folder, 'unet'));
    pipeline = await StableDiffusionPipeline.load(recordingRuntime(runs), new DirectoryModelSource(folder), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('guidance 8: 4 steps are 4 batch-1 calls with timestep_cond, one prompt encoded', async () => {
    runs.length = 0;
    await fourLcmSteps(pipeline, 8);
    expect(unetRuns(runs)).toEqual(Array(4).fill({ inputs: ['encoder_hidden_states', 'sample', 'timestep', 'timestep_cond'], batch: 1 }));
    expect(textRuns(runs)).toHaveLength(1);
  });
});
