/**
 * The step-count limit each scheduler has under a model's schedule (issue 25 item 7). The failing
 * counts were found by running the schedulers (and diffusers: PNDM / DDIM at 1000 steps with
 * steps_offset 1 index alphas_cumprod[1000], an IndexError there; DPM-Solver at 1000 steps with
 * linspace spacing repeats a timestep, h = 0, NaN).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig, SD_V1_4_SCHEDULER_CONFIG } from './index.js';
import { maxInferenceSteps, stepsWork } from './step-limit.js';

const shapes = parseSchedulerConfig(
  JSON.parse(readFileSync('public/models/shapes-sd-fp32/scheduler/scheduler_config.json', 'utf8')) as Record<string, unknown>,
);

describe('maxInferenceSteps', () => {
  it('SD v1.4 (steps_offset 1; leading for PNDM / DDIM, linspace for the rest)', () => {
    expect(maxInferenceSteps('pndm', SD_V1_4_SCHEDULER_CONFIG)).toBe(999);
    expect(maxInferenceSteps('ddim', SD_V1_4_SCHEDULER_CONFIG)).toBe(999);
    expect(maxInferenceSteps('dpmpp_2m', SD_V1_4_SCHEDULER_CONFIG)).toBe(999);
    expect(maxInferenceSteps('unipc', SD_V1_4_SCHEDULER_CONFIG)).toBe(999);
    for (const name of ['lms', 'euler', 'euler_a', 'heun', 'dpmpp_2m_karras'] as const)
      expect(maxInferenceSteps(name, SD_V1_4_SCHEDULER_CONFIG), name).toBe(1000);
  });

  it('shapes-sd (its file names leading spacing, so every scheduler takes it): 1000 puts timestep 1000 out of range', () => {
    for (const name of ['pndm', 'ddim', 'lms', 'euler', 'euler_a', 'heun'] as const) expect(maxInferenceSteps(name, shapes), name).toBe(999);
    // DPM-Solver / UniPC leading: arange(n + 1) * (1000 // (n + 1)) + 1, reversed, without the last: 999 steps start at 1000,
    // and 1000 steps space them by 1000 // 1001 = 0, so every timestep is 1.
    expect(maxInferenceSteps('dpmpp_2m', shapes)).toBe(998);
    expect(maxInferenceSteps('unipc', shapes)).toBe(998);
    expect(stepsWork('dpmpp_2m', shapes, 1000)).toBe(false);
    expect(stepsWork('dpmpp_2m', shapes, 20)).toBe(true);
  });
});
