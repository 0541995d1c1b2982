/**
 * The samplers by name, and AUTOMATIC1111's labels for them (the "Sampler:" field of PNG
 * "parameters" metadata), both ways.
 */
import { InvalidRequestError } from '../errors.js';
import { DdimScheduler } from './ddim.js';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.js';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral.js';
import { EulerDiscreteScheduler } from './euler.js';
import { HeunDiscreteScheduler } from './heun.js';
import { LcmScheduler } from './lcm.js';
import { LmsDiscreteScheduler } from './lms.js';
import { PndmScheduler } from './pndm.js';
import type { Scheduler, SchedulerConfig, SchedulerName, SchedulerOptions } from './scheduler.js';
import { TcdScheduler } from './tcd.js';
import { UniPcMultistepScheduler } from './unipc.js';

export type { Scheduler, SchedulerConfig, SchedulerName, SchedulerOptions } from './scheduler.js';
export { parseSchedulerConfig, SD_V1_4_SCHEDULER_CONFIG, withTimestepSpacing } from './config.js';

export const SCHEDULER_NAMES: readonly SchedulerName[] = [
  'pndm',
  'ddim',
  'lms',
  'euler',
  'euler_a',
  'heun',
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'unipc',
  'lcm',
  'tcd',
];

export const SCHEDULER_LABELS: Readonly<Record<SchedulerName, string>> = {
  pndm: 'PNDM',
  ddim: 'DDIM',
  lms: 'LMS',
  euler: 'Euler',
  euler_a: 'Euler a',
  heun: 'Heun',
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_karras: 'DPM++ 2M Karras',
  unipc: 'UniPC',
  lcm: 'LCM',
  tcd: 'TCD',
};

export function isSchedulerName(value: unknown): value is SchedulerName {
  return typeof value === 'string' && (SCHEDULER_NAMES as readonly string[]).includes(value);
}

/**
 * A fresh scheduler (call `setTimesteps` next); it keeps per-run state, so use one per generation.
 * `options.eta` reaches the samplers whose diffusers `step` takes `eta` (DDIM, TCD); the rest ignore it.
 */
export function createScheduler(name: SchedulerName, config: SchedulerConfig, options: SchedulerOptions = {}): Scheduler {
  switch (name) {
    case 'pndm':
      return new PndmScheduler(config);
    case 'ddim':
      return new DdimScheduler(config, options.eta);
    case 'lms':
      return new LmsDiscreteScheduler(config);
    case 'euler':
      return new EulerDiscreteScheduler(config);
    case 'euler_a':
      return new EulerAncestralDiscreteScheduler(config);
    case 'heun':
      return new HeunDiscreteScheduler(config);
    case 'dpmpp_2m':
      return new DpmSolverMultistepScheduler(config);
    case 'dpmpp_2m_karras':
      return new DpmSolverMultistepScheduler(config, { karras: true });
    case 'unipc':
      return new UniPcMultistepScheduler(config);
    case 'lcm':
      return new LcmScheduler(config);
    case 'tcd':
      return new TcdScheduler(config, options.eta);
    default: {
      const unknown: never = name;
      throw new InvalidRequestError(`Unknown scheduler "${String(unknown)}": use one of ${SCHEDULER_NAMES.join(', ')}.`);
    }
  }
}

/** The scheduler for an AUTOMATIC1111 sampler label ("Euler a", "DPM++ 2M Karras"; case and spacing forgiven), or null. */
export function schedulerFromLabel(label: string): SchedulerName | null {
  const key = label.trim().replace(/\s+/g, ' ').toLowerCase();
  return SCHEDULER_NAMES.find((name) => SCHEDULER_LABELS[name].toLowerCase() === key) ?? null;
}
