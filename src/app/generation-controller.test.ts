import { describe, expect, it } from 'vitest';
import { CancelledError, NonFiniteOutputError, NsfwContentDetectedError } from '../core/errors.js';
import type { Engine, EngineLoadOptions, GenerateCallOptions, ImageResult, LoadedModel } from '../engine/engine.js';
import { SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';
import { GenerationController } from './generation-controller.js';

const spec: ModelSpec = { id: 'shapes-sd', urls: { fp32: 'https://app.example/models/shapes-sd-fp32/' } };
const model: LoadedModel = {
  id: 'shapes-sd',
  name: 'shapes-sd-fp32',
  url: 'https://app.example/models/shapes-sd-fp32/',
  precision: 'fp32',
  backend: 'webgpu',
  backendReason: null,
  geometry: SD_V1_GEOMETRY,
  hasVaeEncoder: true,
  recommended: null,
  safetyChecker: false,
};

/** An engine that denoises 3 fake steps per image, checking the signal between steps as the real one does. */
class FakeEngine implements Pick<Engine, 'load' | 'generate'> {
  loads = 0;
  /** Each load's needsVaeEncoder. */
  needs: boolean[] = [];
  generated: number[] = [];
  onStep: ((step: number) => void) | null = null;

  /** Seeds whose pictures the (fake) safety checker withholds; each load's safetyChecker. */
  flagged = new Set<number>();
  safety: (boolean | undefined)[] = [];

  async load(_spec: ModelSpec, options: EngineLoadOptions = {}): Promise<LoadedModel> {
    this.loads++;
    this.safety.push(options.safetyChecker);
    this.needs.push(options.needsVaeEncoder ?? false);
    return model;
  }

  async generate(request: GenerationRequest, options: GenerateCallOptions = {}): Promise<ImageResult> {
    for (let step = 1; step <= 3; step++) {
      await Promise.resolve();
      if (options.signal?.aborted) throw new CancelledError();
      options.onProgress?.({ stage: 'denoise', step, totalSteps: 3, itPerSecond: 1, etaSeconds: 3 - step });
      options.onPreview?.({ step, totalSteps: 3, kind: 'latent', width: 2, height: 2, rgba: new Uint8ClampedArray(16) });
      this.onStep?.(step);
    }
    if (this.flagged.has(request.seed!)) throw new NsfwContentDetectedError();
    this.generated.push(request.seed!);
    return {
      width: 16,
      height: 16,
      rgba: new Uint8ClampedArray(16 * 16 * 4),
      png: new Uint8Array(8),
      request: {
        prompt: request.prompt,
        negativePrompt: '',
        promptSyntax: 'plain',
        scheduler: 'pndm',
        numInferenceSteps: 3,
        guidanceScale: 7.5,
        seed: request.seed!,
        width: 16,
        height: 16,
      },
      model: 'fake',
      timings: { textEncoderMs: 0, denoiseMs: 0, vaeDecodeMs: 0, totalMs: 0, stepMs: [] },
    };
  }
}

const requests = (...seeds: number[]) => seeds.map((seed) => ({ prompt: 'p', seed }));

describe('GenerationController', () => {
  it('loads, then generates each image of the batch in order, previews before images', async () => {
    const engine = new FakeEngine();
    const controller = new GenerationController(engine);
    const log: string[] = [];
    const outcome = await controller.generate(
      spec,
      requests(5, 6),
      {},
      {
        onPhase: (phase) => log.push(phase),
        onLoaded: () => log.push('loaded'),
        onPreview: (p, batch) => log.push(`preview ${batch.index}:${p.step}`),
        onImage: (_, batch) => void log.push(`image ${batch.index}`),
      },
    );
    expect(outcome).toEqual({ kind: 'done', images: 2 });
    expect(engine.generated).toEqual([5, 6]);
    expect(log).toEqual([
      'loading',
      'loaded',
      'generating',
      'preview 0:1',
      'preview 0:2',
      'preview 0:3',
      'image 0',
      'preview 1:1',
      'preview 1:2',
      'preview 1:3',
      'image 1',
    ]);
    expect(controller.busy).toBe(false);
  });

  it('a picture withheld by the safety checker is reported, never an image; the rest of the batch goes on; the setting reaches load', async () => {
    const engine = new FakeEngine();
    engine.flagged.add(6);
    const controller = new GenerationController(engine);
    const log: string[] = [];
    const outcome = await controller.generate(
      spec,
      requests(5, 6, 7),
      {},
      {
        onImage: (result) => void log.push(`image ${result.request.seed}`),
        onWithheld: (request, batch) => log.push(`withheld ${request.seed} at ${batch.index}`),
      },
    );
    expect(log).toEqual(['image 5', 'withheld 6 at 1', 'image 7']);
    expect(outcome).toEqual({ kind: 'done', images: 2 });
    controller.safetyChecker = false;
    await controller.load(spec);
    expect(engine.safety).toEqual([true, false]);
  });

  it('a batch that starts from a picture asks the load to refuse a folder without vae_encoder/ (before its weights move); text and Load do not', async () => {
    const engine = new FakeEngine();
    const controller = new GenerationController(engine);
    const initImage = { width: 16, height: 16, data: new Uint8ClampedArray(16 * 16 * 4) };
    await controller.generate(spec, [{ prompt: 'p', seed: 1, initImage, strength: 0.5 }], {});
    await controller.generate(spec, requests(2), {});
    await controller.load(spec);
    expect(engine.needs).toEqual([true, false, false]);
  });

  it('cancel mid-run is an outcome, not an error, and the next run works', async () => {
    const engine = new FakeEngine();
    const controller = new GenerationController(engine);
    engine.onStep = (step) => step === 2 && controller.cancel();
    const images: number[] = [];
    const cancelled = await controller.generate(spec, requests(1, 2), {}, { onImage: (_, b) => void images.push(b.index) });
    expect(cancelled).toEqual({ kind: 'cancelled', images: 0 });
    expect(images).toEqual([]);
    expect(controller.busy).toBe(false);

    engine.onStep = null;
    expect(await controller.generate(spec, requests(3), {})).toEqual({ kind: 'done', images: 1 });
    expect(engine.generated).toEqual([3]);
  });

  it('a load the engine finished despite the cancel still ends the job as cancelled', async () => {
    const engine = new FakeEngine();
    const controller = new GenerationController(engine);
    const run = controller.generate(spec, requests(1), {}, { onPhase: (phase) => phase === 'loading' && controller.cancel() });
    expect(await run).toEqual({ kind: 'cancelled', images: 0 });
    expect(engine.generated).toEqual([]);
  });

  it('reports engine errors and refuses a second job while one runs', async () => {
    const engine = new FakeEngine();
    engine.load = async () => {
      throw new Error('No network');
    };
    const controller = new GenerationController(engine);
    const first = controller.load(spec);
    expect((await controller.load(spec)).kind).toBe('error');
    const outcome = await first;
    expect(outcome.kind).toBe('error');
    expect(outcome.kind === 'error' && outcome.error.message).toBe('No network');
  });

  it('a NaN image (NonFiniteOutputError from the engine) ends the batch as an error: nothing reaches the gallery (issue 12, item 2)', async () => {
    const engine = new FakeEngine();
    const generate = engine.generate.bind(engine);
    engine.generate = async (request, options) => {
      if (request.seed === 2) throw new NonFiniteOutputError('The VAE decoder (stage: decode) produced NaN/Inf pixels (float16).');
      return generate(request, options);
    };
    const images: number[] = [];
    const outcome = await new GenerationController(engine).generate(
      spec,
      requests(1, 2, 3),
      {},
      { onImage: (result) => void images.push(result.request.seed!) },
    );
    expect(outcome).toMatchObject({ kind: 'error', images: 1, error: { name: 'NonFiniteOutputError' } });
    expect(images).toEqual([1]);
  });
});
