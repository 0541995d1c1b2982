/**
 * One job at a time against the Engine: load a model, or load (if needed) then generate a batch.
 * Owns the AbortController, so Cancel works at any moment: while downloading, loading, between
 * denoising steps or between images of a batch. A cancelled job is an outcome, not an error, and
 * leaves the engine ready for the next one (the engine finishes or drops the step it was in).
 */
import type { BackendPreference } from '../engine/runtime/backend-choice.js';
import { CancelledError, NsfwContentDetectedError } from '../core/errors.js';
import type { Engine, EngineProgress, ImageResult, LoadedModel, Preview, PreviewOptions } from '../engine/engine.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';

export interface BatchPosition {
  index: number;
  count: number;
}

export interface JobHandlers {
  onPhase?(phase: 'loading' | 'generating'): void;
  onProgress?(progress: EngineProgress, batch: BatchPosition | undefined): void;
  onLoaded?(model: LoadedModel): void;
  onPreview?(preview: Preview, batch: BatchPosition): void;
  /** Awaited, so a store write finishes before the next image starts. */
  onImage?(result: ImageResult, batch: BatchPosition): void | Promise<void>;
  /** The safety checker withheld this request's picture (no pixels exist); the batch goes on. */
  onWithheld?(request: GenerationRequest, batch: BatchPosition): void;
}

export type JobOutcome =
  | { kind: 'done'; images: number }
  | { kind: 'cancelled'; images: number }
  | { kind: 'error'; error: Error; images: number };

export class GenerationController {
  #engine: Pick<Engine, 'load' | 'generate'>;
  #abort: AbortController | null = null;

  /** The backend setting every load passes on ('auto': backend-choice.ts decides). */
  backend: BackendPreference = 'auto';
  /** The safety checker setting every load passes on (on unless the user turned it off). */
  safetyChecker = true;

  constructor(engine: Pick<Engine, 'load' | 'generate'>) {
    this.#engine = engine;
  }

  get busy(): boolean {
    return this.#abort !== null;
  }

  cancel(): void {
    this.#abort?.abort();
  }

  /** Loads `spec` (downloading what is missing) without generating. */
  load(spec: ModelSpec, handlers: JobHandlers = {}): Promise<JobOutcome> {
    return this.#job((signal) => this.#load(spec, signal, handlers));
  }

  /** Loads `spec` if needed, then one image per request, in order. */
  generate(spec: ModelSpec, requests: GenerationRequest[], preview: PreviewOptions, handlers: JobHandlers = {}): Promise<JobOutcome> {
    return this.#job(async (signal, counted) => {
      // A picture request on a model without vae_encoder/ is refused from the folder's file list, before its weights move.
      await this.#load(spec, signal, handlers, requests.some((r) => r.initImage !== undefined));
      handlers.onPhase?.('generating');
      for (const [index, request] of requests.entries()) {
        const batch = { index, count: requests.length };
        const result = await this.#engine.generate(request, {
          ...preview,
          signal,
          onProgress: (progress) => handlers.onProgress?.(progress, batch),
          onPreview: (p) => handlers.onPreview?.(p, batch),
        }).catch((error: unknown) => {
          if (!(error instanceof NsfwContentDetectedError)) throw error;
          return null; // each picture of a batch is decided separately
        });
        if (signal.aborted) throw new CancelledError();
        if (result === null) {
          handlers.onWithheld?.(request, batch);
          continue;
        }
        await handlers.onImage?.(result, batch);
        counted();
      }
    });
  }

  async #load(spec: ModelSpec, signal: AbortSignal, handlers: JobHandlers, needsVaeEncoder = false): Promise<void> {
    handlers.onPhase?.('loading');
    const model = await this.#engine.load(spec, { signal, backend: this.backend, needsVaeEncoder, safetyChecker: this.safetyChecker, onProgress: (progress) => handlers.onProgress?.(progress, undefined) });
    // The engine may finish a load it could not interrupt (compiling a session); the job still stops here.
    if (signal.aborted) throw new CancelledError();
    handlers.onLoaded?.(model);
  }

  async #job(work: (signal: AbortSignal, counted: () => void) => Promise<void>): Promise<JobOutcome> {
    if (this.#abort) return { kind: 'error', error: new Error('Another job is running: wait for it or cancel it.'), images: 0 };
    const abort = new AbortController();
    this.#abort = abort;
    let images = 0;
    try {
      await work(abort.signal, () => images++);
      return { kind: 'done', images };
    } catch (error) {
      if (error instanceof CancelledError || abort.signal.aborted) return { kind: 'cancelled', images };
      return { kind: 'error', error: error instanceof Error ? error : new Error(String(error)), images };
    } finally {
      this.#abort = null;
    }
  }
}
