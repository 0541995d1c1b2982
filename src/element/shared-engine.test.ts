import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, ModelFileMissingError, NsfwContentDetectedError } from '../core/errors.js';
import type { Engine, EngineLoadOptions, GenerateCallOptions, ImageResult, LoadedModel } from '../engine/engine.js';
import { SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import { FAST_LCM_SETTINGS } from '../engine/model/model-recommendation.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';
import { SharedEngine } from './shared-engine.js';

const spec = (id: string): ModelSpec => ({ id, urls: { fp32: `https://host/${id}/` } });

/** An engine that records calls; each load/generate waits for `release()` when `manual` is on. */
class FakeEngine implements Engine {
  log: string[] = [];
  loaded: string | null = null;
  disposed = false;
  #gates: (() => void)[] = [];
  manual = false;
  failOn: string | null = null;
  /** A prompt whose picture the (fake) safety checker withholds; each load's safetyChecker. */
  flagged: string | null = null;
  safety: (boolean | undefined)[] = [];
  /** Each load's LoRA files, as `name weight`. */
  loras: string[][] = [];
  /** Each generate's request, as it reached the engine. */
  requests: GenerationRequest[] = [];

  /** Lets the oldest waiting call finish (waiting for one to wait, if none does yet). */
  async release(): Promise<void> {
    await vi.waitFor(() => expect(this.#gates.length).toBeGreaterThan(0));
    this.#gates.shift()!();
  }
  async #gate(): Promise<void> {
    if (this.manual) await new Promise<void>((resolve) => this.#gates.push(resolve));
  }
  async capabilities(): Promise<never> {
    throw new Error('unused');
  }
  async load(s: ModelSpec, options: EngineLoadOptions = {}): Promise<LoadedModel> {
    this.log.push(`load ${s.id}${options.needsVaeEncoder ? ' for a picture' : ''}`);
    this.safety.push(options.safetyChecker);
    this.loras.push((options.loraFiles ?? []).map((l) => `${l.name} ${l.weight}`));
    // A folder without vae_encoder/ refuses a picture request at load, as LocalEngine does from the file list.
    if (options.needsVaeEncoder && s.id === 'no-encoder') throw new ModelFileMissingError('"no-encoder" has no vae_encoder/model.onnx');
    options.onProgress?.({ stage: 'load', part: 'unet', index: 2, count: 4 });
    await this.#gate();
    this.loaded = s.id;
    return {
      id: s.id,
      name: s.id,
      url: s.urls.fp32 ?? '',
      precision: 'fp32',
      backend: 'wasm',
      backendReason: null,
      geometry: SD_V1_GEOMETRY,
      hasVaeEncoder: s.id !== 'no-encoder',
      // A folder named 'lcm' is LCM-distilled: it recommends LCM's fast settings, as LocalEngine reads them from the folder.
      recommended: s.id === 'lcm' ? { ...FAST_LCM_SETTINGS } : null,
      safetyChecker: false,
    };
  }
  async generate(request: GenerationRequest, options: GenerateCallOptions = {}): Promise<ImageResult> {
    this.log.push(`generate ${request.prompt} with ${this.loaded}`);
    this.requests.push(request);
    if (request.prompt === this.failOn) throw new Error('bad request');
    await this.#gate();
    if (options.signal?.aborted) throw new CancelledError();
    if (request.prompt === this.flagged) throw new NsfwContentDetectedError();
    return {
      width: 64,
      height: 64,
      rgba: new Uint8ClampedArray(0),
      png: new Uint8Array(0),
      timings: { textEncoderMs: 0, denoiseMs: 0, vaeDecodeMs: 0, totalMs: 0, stepMs: [] },
      request: {
        prompt: request.prompt,
        negativePrompt: '',
        promptSyntax: 'plain',
        scheduler: 'pndm',
        numInferenceSteps: 1,
        guidanceScale: 7.5,
        seed: request.seed ?? 0,
        width: 64,
        height: 64,
      },
      model: this.loaded ?? '',
    };
  }
  async tokenize(): Promise<never> {
    throw new Error('unused');
  }
  async listModels() {
    return [];
  }
  async deleteModel(): Promise<void> {}
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

const job = (model: string, prompt: string, options: GenerateCallOptions = {}) => ({
  spec: spec(model),
  request: { prompt, seed: 64 },
  options,
});

afterEach(() => vi.useRealTimers());

describe('SharedEngine', () => {
  it('starts one engine on first use, for every caller', async () => {
    const factory = vi.fn(() => new FakeEngine());
    const shared = new SharedEngine(factory);
    expect(shared.started).toBe(false);
    await Promise.all([shared.run(job('a', 'one')), shared.run(job('a', 'two'))]);
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it("gives each job's LoRA files to its load, and none to a job without them (the base model back)", async () => {
    const engine = new FakeEngine();
    const shared = new SharedEngine(() => engine);
    const data = new Blob([new Uint8Array(4)]);
    await shared.run({ ...job('a', 'styled'), loraFiles: [{ name: 'style.safetensors', data, weight: 0.8 }] });
    await shared.run(job('a', 'plain'));
    expect(engine.loras).toEqual([['style.safetensors 0.8'], []]);
  });

  it("a picture the safety checker withholds rejects its job with NsfwContentDetectedError (the element's sd-error), no result; the setting reaches load", async () => {
    const engine = new FakeEngine();
    engine.flagged = 'withheld';
    const shared = new SharedEngine(() => engine);
    await expect(shared.run(job('a', 'withheld'))).rejects.toBeInstanceOf(NsfwContentDetectedError);
    const { result } = await shared.run({ ...job('a', 'kept'), safetyChecker: false });
    expect(result.request.prompt).toBe('kept');
    expect(engine.safety).toEqual([true, false]);
  });

  it("runs load + generate as one job, so a job never generates with another job's model", async () => {
    const engine = new FakeEngine();
    const shared = new SharedEngine(() => engine);
    const results = await Promise.all([shared.run(job('a', 'first')), shared.run(job('b', 'second')), shared.run(job('a', 'third'))]);
    expect(engine.log).toEqual(['load a', 'generate first with a', 'load b', 'generate second with b', 'load a', 'generate third with a']);
    expect(results.map((r) => r.result.model)).toEqual(['a', 'b', 'a']);
    expect(results[0].result.request.seed).toBe(64);
  });

  it("generates forModel's request, made from the model the job loaded (its recommendation), when the job gives one", async () => {
    const engine = new FakeEngine();
    const shared = new SharedEngine(() => engine);
    const seen: (string | null)[] = [];
    const forModel = (model: LoadedModel): GenerationRequest => {
      seen.push(`${model.id} ${model.recommended?.scheduler ?? 'none'}`);
      return { prompt: 'fast', seed: 64, ...model.recommended };
    };
    await shared.run({ ...job('lcm', 'slow'), forModel });
    await shared.run({ ...job('a', 'slow'), forModel });
    await shared.run(job('lcm', 'as given'));
    expect(seen).toEqual(['lcm lcm', 'a none']);
    expect(engine.requests).toEqual([
      { prompt: 'fast', seed: 64, scheduler: 'lcm', numInferenceSteps: 4, guidanceScale: 1 },
      { prompt: 'fast', seed: 64 },
      { prompt: 'as given', seed: 64 },
    ]);
  });

  it('rejects a job cancelled while it waits at once, and never runs it', async () => {
    const engine = new FakeEngine();
    engine.manual = true;
    const shared = new SharedEngine(() => engine);
    const first = shared.run(job('a', 'first'));
    const abort = new AbortController();
    const second = shared.run(job('a', 'second', { signal: abort.signal }));
    await Promise.resolve();
    abort.abort();
    await expect(second).rejects.toBeInstanceOf(CancelledError);
    await engine.release(); // load
    await engine.release(); // generate
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(engine.log).toEqual(['load a', 'generate first with a']);
  });

  it('asks the load to refuse a folder without vae_encoder/ when the job starts from a picture, and never generates then', async () => {
    const engine = new FakeEngine();
    const shared = new SharedEngine(() => engine);
    const initImage = { width: 8, height: 8, data: new Uint8ClampedArray(8 * 8 * 4) };
    const picture = { spec: spec('no-encoder'), request: { prompt: 'from a picture', initImage, strength: 0.5 } };
    await expect(shared.run(picture)).rejects.toBeInstanceOf(ModelFileMissingError);
    await shared.run(job('no-encoder', 'text'));
    await shared.run({ ...picture, spec: spec('a') });
    expect(engine.log).toEqual([
      'load no-encoder for a picture',
      'load no-encoder',
      'generate text with no-encoder',
      'load a for a picture',
      'generate from a picture with a',
    ]);
  });

  it('passes progress through and keeps going after a failed job', async () => {
    const engine = new FakeEngine();
    const shared = new SharedEngine(() => engine);
    const onProgress = vi.fn();
    const bad = { spec: spec('a'), request: { prompt: 'bad' }, options: { onProgress } };
    engine.failOn = 'bad';
    await expect(shared.run(bad)).rejects.toThrow('bad request');
    expect(onProgress).toHaveBeenCalledWith({ stage: 'load', part: 'unet', index: 2, count: 4 });
    await expect(shared.run(job('a', 'next'))).resolves.toBeTruthy();
  });

  it('disposes the engine a while after the last element leaves, not when one moves', async () => {
    vi.useFakeTimers();
    const engines: FakeEngine[] = [];
    const shared = new SharedEngine(
      () => {
        engines.push(new FakeEngine());
        return engines.at(-1)!;
      },
      { releaseDelayMs: 1000 },
    );
    shared.retain();
    shared.retain();
    await shared.run(job('a', 'x'));
    shared.release();
    vi.advanceTimersByTime(5000);
    expect(engines[0].disposed).toBe(false);
    // The last one is moved: released and retained again within the delay.
    shared.release();
    shared.retain();
    vi.advanceTimersByTime(5000);
    expect(engines[0].disposed).toBe(false);
    shared.release();
    vi.advanceTimersByTime(1000);
    await Promise.resolve();
    expect(engines[0].disposed).toBe(true);
    expect(shared.started).toBe(false);
    await shared.run(job('a', 'again'));
    expect(engines).toHaveLength(2);
  });
});
