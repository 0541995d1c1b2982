/**
 * One job against an Engine, the way every page-side surface runs it (the app's GenerationController,
 * the element's SharedEngine): load the model (a no-op when it is the loaded one; a picture request on a
 * folder without vae_encoder/ is refused from the folder's file list, before its weights move), stop if
 * cancelled meanwhile (the engine may finish a load or a step it could not interrupt), then one image
 * per request, in order, stopping between them when cancelled. A picture the model's safety checker
 * withholds (NsfwContentDetectedError) goes to onWithheld when the surface gives one (the app: each
 * picture of a batch is decided separately, the batch goes on); without it the job rejects (the element).
 */
import { CancelledError, NsfwContentDetectedError } from '../core/errors.js';
import type { BackendPreference } from '../engine/runtime/backend-choice.js';
import type { Engine, ImageResult, LoadedModel, PreviewOptions } from '../engine/engine.js';
import type { EngineProgress, Preview } from '../engine/events.js';
import type { LoraInput } from '../engine/lora/lora-inputs.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';

export interface BatchPosition {
  index: number;
  count: number;
}

export interface EngineJob {
  spec: ModelSpec;
  /** One image each, in order; none: load only. */
  requests: readonly GenerationRequest[];
  /** Default 'auto' (backend-choice.ts). */
  backend?: BackendPreference;
  preview?: PreviewOptions;
  signal?: AbortSignal;
  /** Run the folder's safety checker (default true); false only by the user's explicit choice. */
  safetyChecker?: boolean;
  /** LoRA files merged for this job (EngineLoadOptions.loraFiles); none: the base model. */
  loraFiles?: readonly LoraInput[];
}

export interface JobHandlers {
  onPhase?(phase: 'loading' | 'generating'): void;
  /** `batch`: undefined while loading. */
  onProgress?(progress: EngineProgress, batch: BatchPosition | undefined): void;
  onLoaded?(model: LoadedModel): void;
  onPreview?(preview: Preview, batch: BatchPosition): void;
  /** Awaited, so a store write finishes before the next image starts. */
  onImage?(result: ImageResult, batch: BatchPosition): void | Promise<void>;
  /** The safety checker withheld this request's picture (no pixels exist); the batch goes on. Without it the job rejects with NsfwContentDetectedError. */
  onWithheld?(request: GenerationRequest, batch: BatchPosition): void;
}

/** Runs `job` on `engine`; rejects with CancelledError once `job.signal` is aborted. */
export async function runEngineJob(engine: Pick<Engine, 'load' | 'generate'>, job: EngineJob, handlers: JobHandlers = {}): Promise<void> {
  const { signal } = job;
  const stopIfCancelled = () => {
    if (signal?.aborted) throw new CancelledError();
  };
  stopIfCancelled();
  handlers.onPhase?.('loading');
  const needsVaeEncoder = job.requests.some((r) => r.initImage !== undefined);
  const model = await engine.load(job.spec, {
    signal,
    backend: job.backend ?? 'auto',
    needsVaeEncoder,
    safetyChecker: job.safetyChecker ?? true,
    loraFiles: job.loraFiles ?? [],
    onProgress: (progress) => handlers.onProgress?.(progress, undefined),
  });
  stopIfCancelled();
  handlers.onLoaded?.(model);
  if (job.requests.length === 0) return;
  handlers.onPhase?.('generating');
  for (const [index, request] of job.requests.entries()) {
    const batch = { index, count: job.requests.length };
    const result = await engine
      .generate(request, {
        ...job.preview,
        signal,
        onProgress: (progress) => handlers.onProgress?.(progress, batch),
        onPreview: (preview) => handlers.onPreview?.(preview, batch),
      })
      .catch((error: unknown) => {
        if (!(error instanceof NsfwContentDetectedError) || !handlers.onWithheld) throw error;
        return null; // each picture of a batch is decided separately
      });
    stopIfCancelled();
    if (result === null) {
      handlers.onWithheld?.(request, batch);
      continue;
    }
    await handlers.onImage?.(result, batch);
  }
}
