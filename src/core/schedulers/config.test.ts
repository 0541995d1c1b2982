/**
 * scheduler_config.json parsing and validation, the class-default timestep spacing, the scheduler
 * registry and its AUTOMATIC1111 labels, and the contract's guarantees (errors up front, inputs untouched).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { TorchGenerator } from '../random/torch-generator.js';
import { parseSchedulerConfig, SD_V1_4_SCHEDULER_CONFIG, timestepSpacingFor } from './config.js';
import { createScheduler, isSchedulerName, SCHEDULER_LABELS, SCHEDULER_NAMES, schedulerFromLabel } from './index.js';
import type { SchedulerName } from './scheduler.js';
import { readJson } from '../../testing/reference-data.js';

const here = (path: string): URL => new URL(path, import.meta.url);

// CompVis/stable-diffusion-v1-4 scheduler/scheduler_config.json as published (no timestep_spacing key)
const SD14_HUB_JSON = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.7.0.dev0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

describe('parseSchedulerConfig', () => {
  it("reads the fixture model's scheduler_config.json", () => {
    const config = parseSchedulerConfig(readJson(here('../../../fixtures/tiny-sd-fp32/scheduler/scheduler_config.json')));
    expect(config).toEqual(SD_V1_4_SCHEDULER_CONFIG);
  });

  it("reads SD v1.4's published file, which has no timestep_spacing (PNDM's default, leading)", () => {
    expect(parseSchedulerConfig(SD14_HUB_JSON)).toEqual(SD_V1_4_SCHEDULER_CONFIG);
  });

  it("fills every missing key with SD v1.4's value, except clip_sample: absent, DDIM takes its diffusers default", () => {
    const { clipSample: _, ...rest } = SD_V1_4_SCHEDULER_CONFIG;
    expect(parseSchedulerConfig({})).toEqual(rest);
  });

  it("reads clip_sample (DDIM's x0 clamp); a file without it gives DDIM diffusers' default, true", () => {
    expect(parseSchedulerConfig({ clip_sample: true }).clipSample).toBe(true);
    expect(parseSchedulerConfig({ clip_sample: false }).clipSample).toBe(false);
    expect(parseSchedulerConfig({ _class_name: 'PNDMScheduler' }).clipSample).toBeUndefined();
  });

  it('reads the supported keys', () => {
    const config = parseSchedulerConfig({
      _class_name: 'EulerDiscreteScheduler',
      num_train_timesteps: 500,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: 'linear',
      prediction_type: 'v_prediction',
      set_alpha_to_one: true,
      skip_prk_steps: false,
      steps_offset: 0,
      timestep_spacing: 'trailing',
      some_future_key: 3, // unknown keys are ignored, as diffusers does
    });
    expect(config).toEqual({
      numTrainTimesteps: 500,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: 'linear',
      predictionType: 'v_prediction',
      setAlphaToOne: true,
      skipPrkSteps: false,
      stepsOffset: 0,
      timestepSpacing: 'trailing',
      className: 'EulerDiscreteScheduler',
      timestepSpacingSet: true,
    });
  });

  it("a file from another class without timestep_spacing gets that class's default", () => {
    expect(parseSchedulerConfig({ _class_name: 'EulerDiscreteScheduler' }).timestepSpacing).toBe('linspace');
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /JSON object/],
    ['null', null, /JSON object/],
    ['beta_schedule', { beta_schedule: 'squaredcos_cap_v2' }, /"beta_schedule" must be "scaled_linear" or "linear"/],
    ['prediction_type', { prediction_type: 'sample' }, /"prediction_type"/],
    ['timestep_spacing', { timestep_spacing: 'uniform' }, /"timestep_spacing"/],
    ['num_train_timesteps', { num_train_timesteps: 10.5 }, /"num_train_timesteps" must be an integer/],
    ['steps_offset', { steps_offset: -1 }, /"steps_offset"/],
    ['beta_start type', { beta_start: '0.1' }, /"beta_start" must be a number/],
    ['beta order', { beta_start: 0.02, beta_end: 0.01 }, /must be below "beta_end"/],
    ['set_alpha_to_one', { set_alpha_to_one: 'no' }, /true or false/],
    ['trained_betas', { trained_betas: [0.1, 0.2] }, /trained_betas/],
    ['clip_sample', { clip_sample: 'yes' }, /clip_sample/],
    ['clip_sample_range', { clip_sample_range: 2 }, /clip_sample_range/],
    ['thresholding', { thresholding: true }, /thresholding/],
  ];
  for (const [what, json, message] of bad) {
    it(`rejects ${what} with InvalidRequestError`, () => {
      expect(() => parseSchedulerConfig(json)).toThrow(InvalidRequestError);
      expect(() => parseSchedulerConfig(json)).toThrow(message);
    });
  }
});

describe('timestepSpacingFor: the spacing belongs to the class that wrote it', () => {
  const fromPndmFile = parseSchedulerConfig(SD14_HUB_JSON);
  it("SD v1.4's PNDM file: PNDM / DDIM leading, the others their diffusers default, linspace", () => {
    const spacing = Object.fromEntries(SCHEDULER_NAMES.map((n) => [n, timestepSpacingFor(n, fromPndmFile)]));
    expect(spacing).toEqual({
      pndm: 'leading',
      ddim: 'leading',
      lms: 'linspace',
      euler: 'linspace',
      euler_a: 'linspace',
      heun: 'linspace',
      dpmpp_2m: 'linspace',
      dpmpp_2m_karras: 'linspace',
      unipc: 'linspace',
      lcm: 'leading',
      tcd: 'leading',
    });
  });
  it('a file that sets timestep_spacing gives it to every class, as from_config passes keys the file set', () => {
    // diffusers 0.40: EulerDiscreteScheduler / DPMSolverMultistepScheduler.from_config(PNDMScheduler.from_pretrained(
    // shapes-sd-fp32/scheduler).config).config.timestep_spacing == "leading" (the file sets it)
    const eulerFile = parseSchedulerConfig({ _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'leading' });
    expect(timestepSpacingFor('euler', eulerFile)).toBe('leading');
    expect(timestepSpacingFor('dpmpp_2m', eulerFile)).toBe('leading');
    const shapesFile = parseSchedulerConfig(readJson(here('../../../public/models/shapes-sd-fp32/scheduler/scheduler_config.json')));
    for (const name of SCHEDULER_NAMES) expect(timestepSpacingFor(name, shapesFile)).toBe('leading');
  });
  it('a config without className applies its spacing to every scheduler', () => {
    const { className: _, ...plain } = SD_V1_4_SCHEDULER_CONFIG;
    for (const name of SCHEDULER_NAMES) expect(timestepSpacingFor(name, plain)).toBe('leading');
  });
});

describe('registry and labels', () => {
  it('creates every scheduler under its own name', () => {
    for (const name of SCHEDULER_NAMES) expect(createScheduler(name, SD_V1_4_SCHEDULER_CONFIG).name).toBe(name);
  });
  it("uses AUTOMATIC1111's sampler names", () => {
    expect(SCHEDULER_LABELS).toEqual({
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
    });
  });
  it('parses labels back, forgiving case and spacing', () => {
    for (const name of SCHEDULER_NAMES) expect(schedulerFromLabel(SCHEDULER_LABELS[name])).toBe(name);
    expect(schedulerFromLabel('  dpm++  2m karras ')).toBe('dpmpp_2m_karras');
    expect(schedulerFromLabel('euler A')).toBe('euler_a');
    expect(schedulerFromLabel('DPM++ SDE')).toBeNull();
  });
  it('isSchedulerName', () => {
    expect(SCHEDULER_NAMES.every(isSchedulerName)).toBe(true);
    expect(isSchedulerName('Euler a')).toBe(false);
    expect(isSchedulerName(3)).toBe(false);
  });
  it('rejects an unknown name', () => {
    expect(() => createScheduler('dpmpp_sde' as SchedulerName, SD_V1_4_SCHEDULER_CONFIG)).toThrow(InvalidRequestError);
  });
});

describe('contract', () => {
  it('rejects bad step counts up front', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, SD_V1_4_SCHEDULER_CONFIG);
      for (const n of [0, 2.5, 1001]) expect(() => s.setTimesteps(n)).toThrow(InvalidRequestError);
    }
  });
  it('1 step works for every scheduler', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, SD_V1_4_SCHEDULER_CONFIG);
      s.setTimesteps(1);
      let x: Float32Array = new Float32Array(16).fill(s.initNoiseSigma);
      for (const t of s.timesteps)
        x = s.step(
          s.scaleModelInput(x, t).map((v) => v * 0.5),
          t,
          x,
          new TorchGenerator(0),
        );
      expect(x.every(Number.isFinite)).toBe(true);
    }
  });
  it('step never mutates its inputs, and the state does not alias them', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, SD_V1_4_SCHEDULER_CONFIG);
      s.setTimesteps(10);
      const noise = new TorchGenerator(0);
      let x: Float32Array = new TorchGenerator(1).randn([64]).map((v) => v * s.initNoiseSigma);
      const eps = new Float32Array(64);
      for (const t of s.timesteps) {
        const before = x.slice();
        const xIn = s.scaleModelInput(x, t);
        eps.set(xIn.map((v) => v * 0.9)); // one buffer reused for every model output, like an output tensor
        const epsBefore = eps.slice();
        const next = s.step(eps, t, x, noise);
        expect(x).toEqual(before);
        expect(eps).toEqual(epsBefore);
        expect(next).not.toBe(x);
        x = next;
      }
    }
  });
  it('reusing a buffer for model outputs gives the same result as fresh arrays', () => {
    for (const name of SCHEDULER_NAMES) {
      const results = [true, false].map((reuse) => {
        const s = createScheduler(name, SD_V1_4_SCHEDULER_CONFIG);
        s.setTimesteps(10);
        const noise = new TorchGenerator(0);
        let x: Float32Array = new TorchGenerator(1).randn([64]).map((v) => v * s.initNoiseSigma);
        const buffer = new Float32Array(64);
        for (const t of s.timesteps) {
          const eps = s.scaleModelInput(x, t).map((v) => v * 0.9);
          if (reuse) buffer.set(eps);
          x = s.step(reuse ? buffer : eps, t, x, noise);
        }
        return x;
      });
      expect(results[0]).toEqual(results[1]);
    }
  });
  it('euler_a needs a NoiseSource; step and scaleModelInput need setTimesteps first', () => {
    const a = createScheduler('euler_a', SD_V1_4_SCHEDULER_CONFIG);
    expect(() => a.step(new Float32Array(4), 999, new Float32Array(4))).toThrow(/setTimesteps/);
    a.setTimesteps(10);
    expect(() => a.step(new Float32Array(4), 999, new Float32Array(4))).toThrow(/NoiseSource/);
    for (const name of ['pndm', 'ddim', 'dpmpp_2m', 'unipc'] as const) {
      expect(() => createScheduler(name, SD_V1_4_SCHEDULER_CONFIG).step(new Float32Array(4), 1, new Float32Array(4))).toThrow(/setTimesteps/);
    }
  });
  it('sigma-space schedulers reject a timestep that is not in the schedule', () => {
    const s = createScheduler('euler', SD_V1_4_SCHEDULER_CONFIG);
    s.setTimesteps(10);
    expect(() => s.scaleModelInput(new Float32Array(4), 500)).toThrow(InvalidRequestError);
  });
});
