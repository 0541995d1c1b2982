/**
 * The user-visible step count: which UNet call completes which sampler step, as diffusers' pipelines
 * drive their progress bar (StableDiffusionPipeline / Img2Img / Inpaint `__call__`):
 *
 *   num_warmup_steps = len(timesteps) - num_inference_steps * scheduler.order
 *   with self.progress_bar(total=num_inference_steps) as progress_bar:
 *       for i, t in enumerate(timesteps):
 *           ...
 *           if i == len(timesteps) - 1 or ((i + 1) > num_warmup_steps and (i + 1) % scheduler.order == 0):
 *               progress_bar.update()
 *
 * `timesteps` lists one entry per UNet call: PNDM (PLMS) repeats its first step (N + 1 calls for N
 * steps), Heun and DPM2 (order 2) make two calls per step but one for the first (2N - 1). For
 * img2img / inpainting, `num_inference_steps` is what get_timesteps leaves after strength
 * (N - t_start) and `timesteps` the tail that runs. The bar then counts exactly N: "step 20/20".
 */

export interface SchedulerProgress {
  /** Sampler steps that run: the bar's total (img2img: after strength); the last call completes the last one. */
  totalSteps: number;
  /** Per UNet call (index into the timesteps that run): the 1-based sampler step it completes, or null (a warm-up or first-half call). */
  stepAfterCall: readonly (number | null)[];
}

/**
 * @param callCount the timesteps that run (UNet calls), `timesteps.length`
 * @param numInferenceSteps the sampler steps that run (diffusers' num_inference_steps after get_timesteps)
 * @param order the scheduler's `order` (entries of `timesteps` per step: Heun / DPM2 2, the rest 1)
 */
export function schedulerProgress(callCount: number, numInferenceSteps: number, order: number): SchedulerProgress {
  if (!Number.isInteger(callCount) || callCount < 1) throw new RangeError(`callCount must be a positive integer (got ${callCount})`);
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1)
    throw new RangeError(`numInferenceSteps must be a positive integer (got ${numInferenceSteps})`);
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`order must be a positive integer (got ${order})`);
  const warmup = callCount - numInferenceSteps * order;
  const stepAfterCall: (number | null)[] = [];
  let done = 0;
  for (let i = 0; i < callCount; i++) {
    const update = i === callCount - 1 || (i + 1 > warmup && (i + 1) % order === 0);
    stepAfterCall.push(update ? ++done : null);
  }
  // `done` is numInferenceSteps for every schedule the samplers here make (progress.test.ts); the total is
  // what the calls complete, so a count never passes its total even for a schedule that disagrees with its order.
  return { totalSteps: done, stepAfterCall };
}
