/**
 * The fields every diffusers reference manifest here names alike (tools/make_*_refs.py write diffusers'
 * argument names), and the engine request they stand for.
 */
import type { SchedulerName } from '../core/schedulers/scheduler.js';

export interface DiffusersCase {
  prompt: string;
  negative_prompt?: string | null;
  scheduler: SchedulerName;
  steps: number;
  guidance: number;
}

/** prompt, negative_prompt, scheduler, steps, guidance in the engine's names (a null negative prompt is none). */
export function caseRequest(c: DiffusersCase): {
  prompt: string;
  negativePrompt: string | undefined;
  scheduler: SchedulerName;
  numInferenceSteps: number;
  guidanceScale: number;
} {
  return { prompt: c.prompt, negativePrompt: c.negative_prompt ?? undefined, scheduler: c.scheduler, numInferenceSteps: c.steps, guidanceScale: c.guidance };
}

/** The same four fields as the CLI's flags: --prompt, --scheduler, --steps, --guidance. */
export function caseFlags(c: Pick<DiffusersCase, 'prompt' | 'steps' | 'guidance'> & { scheduler: string }): string[] {
  return ['--prompt', c.prompt, '--scheduler', c.scheduler, '--steps', String(c.steps), '--guidance', String(c.guidance)];
}
