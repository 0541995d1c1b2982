/**
 * Parity with diffusers on the scheduler-only loop (dummy denoiser eps = x_in * t / (t + 1)).
 *
 * References:
 * - fixtures/refs/schedulers.json: the project's fixtures, diffusers + torch 2.11 CPU
 *   (tools/make_fixtures.py), pndm / ddim / euler / dpmpp_2m / euler_a at 10 steps.
 * - testdata/diffusers-loops.json + .f32: the same loop replayed by make_diffusers_loops.py with
 *   diffusers 0.40.0.dev0 (58eb52c) + torch 2.13 CPU, for all nine schedulers at 10 / 25 / 50 steps
 *   and config variants (v_prediction, leading / linspace / trailing, linear betas, PRK, set_alpha_to_one).
 *   That replay reproduces the fixtures above to rel-L2 <= 2e-7.
 *
 * Tolerance: final x within rel-L2 1e-5 (measured: <= 8e-7; the rest is float32 rounding order, torch
 * rounds every tensor op to float32 where we round once per step). Timesteps and init_noise_sigma exact.
 */
import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../random/torch-generator.js';
import { parseSchedulerConfig } from './config.js';
import { createScheduler } from './index.js';
import type { SchedulerName } from './scheduler.js';
import { readF32, readJson, relativeL2 as relL2 } from '../../testing/reference-data.js';
import { NO_NOISE, dummyLoop } from '../../testing/scheduler-loop.js';

const here = (path: string): URL => new URL(path, import.meta.url);

const TOLERANCE = 1e-5;

interface FixtureLoop {
  scheduler: SchedulerName;
  steps: number;
  timesteps: number[];
  init_noise_sigma: number;
  file: string;
}
interface ReplayLoop {
  scheduler: SchedulerName;
  steps: number;
  config: Record<string, unknown>;
  timesteps: number[];
  init_noise_sigma: number;
  offset: number;
  length: number;
}

const sample0 = readF32(here('../../../fixtures/refs/sched_sample0.f32')); // (1, 4, 8, 8)
const noiseFor = (name: SchedulerName) => (name === 'euler_a' ? new TorchGenerator(0) : NO_NOISE);

describe('scheduler loops vs fixtures/refs/schedulers.json (diffusers, torch 2.11)', () => {
  // the engine's path: the model folder's scheduler_config.json, parsed
  const config = parseSchedulerConfig(readJson(here('../../../fixtures/tiny-sd-fp32/scheduler/scheduler_config.json')));
  const { loops } = readJson<{ loops: FixtureLoop[] }>(here('../../../fixtures/refs/schedulers.json'));

  it('covers the five fixture schedulers', () => {
    expect(loops.map((l) => l.scheduler).sort()).toEqual(['ddim', 'dpmpp_2m', 'euler', 'euler_a', 'pndm']);
  });

  for (const loop of loops) {
    it(`${loop.scheduler}, ${loop.steps} steps`, () => {
      const scheduler = createScheduler(loop.scheduler, config);
      const x = dummyLoop(scheduler, loop.steps, sample0, noiseFor(loop.scheduler));
      expect(scheduler.timesteps).toEqual(loop.timesteps);
      expect(scheduler.initNoiseSigma).toBe(loop.init_noise_sigma);
      expect(relL2(x, readF32(here(`../../../fixtures/${loop.file}`)))).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

describe('scheduler loops vs testdata/diffusers-loops.json (diffusers replay, all schedulers and variants)', () => {
  const { loops } = readJson<{ loops: ReplayLoop[] }>(here('./testdata/diffusers-loops.json'));
  const all = readF32(here('./testdata/diffusers-loops.f32'));

  for (const loop of loops) {
    const variant = Object.entries(loop.config)
      .filter(([k]) => ['prediction_type', 'timestep_spacing', 'beta_schedule', 'skip_prk_steps', 'set_alpha_to_one'].includes(k))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    it(`${loop.scheduler}, ${loop.steps} steps ${loop.config._class_name ? variant : '(SD v1.4)'}`, () => {
      const scheduler = createScheduler(loop.scheduler, parseSchedulerConfig(loop.config));
      const x = dummyLoop(scheduler, loop.steps, sample0, noiseFor(loop.scheduler));
      expect(scheduler.timesteps).toEqual(loop.timesteps);
      expect(scheduler.initNoiseSigma).toBe(loop.init_noise_sigma);
      expect(relL2(x, all.subarray(loop.offset, loop.offset + loop.length))).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
