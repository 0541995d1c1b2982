/**
 * What a model folder recommends running it with, read from the folder itself: an LCM-distilled
 * model (its scheduler_config.json names `LCMScheduler`, or its UNet has `time_cond_proj_dim`, a
 * guidance-embedding input) gives a picture in a few steps with LCM and guidance 1, as the LCM
 * authors' model cards recommend (SimianLuo/LCM_Dreamshaper_v7: 4 steps; diffusers'
 * LatentConsistencyModelPipeline). Other folders recommend nothing (the preset's or the engine's
 * defaults apply).
 */
import type { ResolvedRequest } from '../request/request.js';
import type { ModelFolder } from './model-folder.js';

export type SchedulerSettings = Pick<ResolvedRequest, 'scheduler' | 'numInferenceSteps' | 'guidanceScale'>;

/** The "fast" settings for an LCM-distilled model: LCM, 4 steps, guidance 1 (one UNet call a step). */
export const FAST_LCM_SETTINGS: Readonly<SchedulerSettings> = { scheduler: 'lcm', numInferenceSteps: 4, guidanceScale: 1 };

/** Whether the folder says its UNet is LCM-distilled. */
export function isLcmDistilled(folder: Pick<ModelFolder, 'schedulerConfig' | 'timeCondProjDim'>): boolean {
  return folder.schedulerConfig.className === 'LCMScheduler' || folder.timeCondProjDim !== null;
}

/** The sampler settings the folder recommends, or null. */
export function folderRecommendation(folder: Pick<ModelFolder, 'schedulerConfig' | 'timeCondProjDim'>): SchedulerSettings | null {
  return isLcmDistilled(folder) ? { ...FAST_LCM_SETTINGS } : null;
}

/** Which sampler settings the user gave (a flag, an attribute, a form field): those keep their values. */
export interface GivenSamplerSettings {
  scheduler: boolean;
  steps: boolean;
  guidance: boolean;
}

/**
 * The request with the folder's recommendation in each sampler field the user did not give, field by field
 * (an LCM-distilled folder with only --steps 8 given: LCM, 8 steps, guidance 1), as the CLI, the app and the
 * element all apply it; `taken`: the fields that took the recommendation. Without one, the request as it is.
 */
export function withRecommendation<R extends Partial<SchedulerSettings>>(
  request: R,
  recommended: SchedulerSettings | null,
  given: GivenSamplerSettings,
): { request: R; taken: (keyof SchedulerSettings)[] } {
  if (!recommended) return { request, taken: [] };
  const taken: (keyof SchedulerSettings)[] = [];
  if (!given.scheduler) taken.push('scheduler');
  if (!given.steps) taken.push('numInferenceSteps');
  if (!given.guidance) taken.push('guidanceScale');
  return { request: { ...request, ...Object.fromEntries(taken.map((field) => [field, recommended[field]])) }, taken };
}
