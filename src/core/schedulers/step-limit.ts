/**
 * The largest step count a scheduler runs with a model's schedule. The request validator asks this
 * before any work, instead of the flat 1 .. num_train_timesteps: near that bound the spacing rules
 * break down, and diffusers then fails or gives NaN. With SD v1.4's `steps_offset` 1 and leading
 * spacing, 1000 PNDM or DDIM steps put timestep 1000 past the end of alphas_cumprod (diffusers: an
 * IndexError); DPM-Solver and UniPC get repeated timesteps (a zero step h: NaN), or, with leading
 * spacing and 1000 steps, `1000 // 1001 = 0` spacing so every timestep is 1.
 *
 * A count works when the scheduler's own timesteps (whatever spacing the config gives it) all lie in
 * the training range 0 .. T-1 and a run of the scheduler on a small synthetic sample stays finite.
 * The limit is the largest count that works, searched downwards from T and cached per config.
 */
import { createScheduler } from './index.js';
import type { SchedulerConfig, SchedulerName } from './scheduler.js';

const SAMPLE = 4;
const noise = { randn: (shape: readonly number[]) => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) };

/** Whether `name` runs `n` steps under `config`: timesteps in range and a finite synthetic run. */
export function stepsWork(name: SchedulerName, config: SchedulerConfig, n: number): boolean {
  const scheduler = createScheduler(name, config);
  try {
    scheduler.setTimesteps(n);
  } catch {
    return false;
  }
  const last = config.numTrainTimesteps - 1;
  if (!scheduler.timesteps.every((t) => t >= 0 && t <= last)) return false;
  let sample: Float32Array = new Float32Array(SAMPLE).fill(scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) {
    // A stand-in for the UNet: any smooth, finite prediction shows a schedule that divides by zero.
    const prediction = scheduler.scaleModelInput(sample, t).map((v) => 0.1 + 0.05 * v);
    sample = scheduler.step(prediction, t, sample, noise);
    if (!sample.every(Number.isFinite)) return false;
  }
  return true;
}

const cache = new Map<string, number>();

/** The largest step count (at most num_train_timesteps) that `name` runs under `config`; 0 if none. */
export function maxInferenceSteps(name: SchedulerName, config: SchedulerConfig): number {
  const key = `${name} ${JSON.stringify(config)}`;
  let max = cache.get(key);
  if (max === undefined) {
    for (max = config.numTrainTimesteps; max > 0 && !stepsWork(name, config, max); max--);
    cache.set(key, max);
  }
  return max;
}
