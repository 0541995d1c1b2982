/**
 * The app's jobs against the Engine, one at a time: load a model, or load (if needed) then generate a
 * batch (each run by protocol/engine-job.ts, as the element's are). Owns the AbortController, so Cancel works at any moment: while downloading, loading, between
 * denoising steps or between images of a batch. A cancelled job is an outcome, not an error, and
 * leaves the engine ready for the next one (the engine finishes or drops the step it was in).
 */
import type { BackendPreference } from '../engine/runtime/backend-choice.js';
import { CancelledError } from '../core/errors.js';
import type { Engine, PreviewOptions } from '../engine/engine.js';
import type { LoraInput } from '../engine/lora/lora-inputs.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';
import { runEngineJob, type JobHandlers } from '../protocol/engine-job.js';

export type { BatchPosition, JobHandlers } from '../protocol/engine-job.js';

export type JobOutcome = { kind: 'done'; images: number } | { kind: 'cancelled'; images: number } | { kind: 'error'; error: Error; images: number };

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
    return this.#job((signal) =>
      runEngineJob(this.#engine, { spec, requests: [], backend: this.backend, safetyChecker: this.safetyChecker, signal }, handlers),
    );
  }

  /** Loads `spec` if needed, with `loraFiles` merged (none: the base model), then one image per request, in order (protocol/engine-job.ts). */
  generate(
    spec: ModelSpec,
    requests: GenerationRequest[],
    preview: PreviewOptions,
    handlers: JobHandlers = {},
    loraFiles: readonly LoraInput[] = [],
  ): Promise<JobOutcome> {
    return this.#job((signal, counted) =>
      runEngineJob(
        this.#engine,
        { spec, requests, preview, backend: this.backend, safetyChecker: this.safetyChecker, loraFiles, signal },
        {
          ...handlers,
          onImage: async (result, batch) => {
            await handlers.onImage?.(result, batch);
            counted();
          },
          // A withheld picture never fails the batch: each picture is decided separately.
          onWithheld: (request, batch) => handlers.onWithheld?.(request, batch),
        },
      ),
    );
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
