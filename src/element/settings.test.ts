import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../core/errors.js';
import { presets } from '../presets/presets.js';
import { SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import type { RgbaImage } from '../core/init-image.js';
import { parseSchedulerConfig } from '../core/schedulers/config.js';
import { FAST_LCM_SETTINGS, folderRecommendation } from '../engine/model/model-recommendation.js';
import {
  parseNumberAttribute,
  parseStrengthAttribute,
  parseSwitchAttribute,
  requestFromAttributes,
  resolveModel,
  withModelRecommendation,
  type AttributeReader,
} from './settings.js';

const LIB = 'https://cdn.example/app/lib/';
const PAGE = 'https://site.example/blog/post.html';
const specs = presets(LIB);
const shapes = specs[0];
const reader =
  (attributes: Record<string, string>): AttributeReader =>
  (name) =>
    attributes[name] ?? null;

describe('attribute parsing', () => {
  it('reads numbers: absent or empty is null, garbage is NaN', () => {
    expect(parseNumberAttribute(null)).toBeNull();
    expect(parseNumberAttribute(' ')).toBeNull();
    expect(parseNumberAttribute('7.5')).toBe(7.5);
    expect(parseNumberAttribute('abc')).toBeNaN();
  });

  it('reads plain decimal numbers only: what Number() also reads (hex, binary, octal, exponents, padding, Infinity) is NaN', () => {
    expect(['20', '7.5', '-1', '0.75', '.5', '4294967295', '9007199254740991', '-0'].map(parseNumberAttribute)).toEqual([
      20, 7.5, -1, 0.75, 0.5, 4294967295, 9007199254740991, 0,
    ]);
    for (const bad of ['0x80', '0X10', '0b101', '0o17', '1e3', '1E-3', ' 20', '20 ', '\n20', 'Infinity', '-Infinity', '1_000', '20px', '--1']) {
      expect(parseNumberAttribute(bad), bad).toBeNaN();
    }
  });

  it('reads the preview switch: present is on, except "off"/"false"', () => {
    expect(parseSwitchAttribute(null)).toBe(false);
    expect(parseSwitchAttribute('')).toBe(true);
    expect(parseSwitchAttribute('on')).toBe(true);
    expect(parseSwitchAttribute('OFF')).toBe(false);
    expect(parseSwitchAttribute('false')).toBe(false);
  });

  it("reads strength: absent is undefined (the engine's 0.75), (0, 1] is taken, anything else refused", () => {
    expect(parseStrengthAttribute(null)).toBeUndefined();
    expect(parseStrengthAttribute('')).toBeUndefined();
    expect(parseStrengthAttribute('1')).toBe(1);
    expect(parseStrengthAttribute('0.3')).toBe(0.3);
    expect(parseStrengthAttribute('0.001')).toBe(0.001);
    for (const bad of ['0', '-0.5', '1.01', 'abc', 'Infinity', 'NaN', '1e-3', '0x1', '0b1', ' 0.5', '5e-1']) {
      expect(() => parseStrengthAttribute(bad), bad).toThrow(
        `The strength attribute must be a number in (0, 1], how much of the picture is repainted (got "${bad}").`,
      );
    }
  });
});

describe('resolveModel', () => {
  it('resolves preset ids next to the library, and defaults to shapes-sd', () => {
    expect(resolveModel('shapes-sd', specs, PAGE).urls.fp32).toBe(`${LIB}models/shapes-sd-fp32/`);
    expect(resolveModel(null, specs, PAGE).id).toBe('shapes-sd');
    expect(resolveModel('', specs, PAGE).id).toBe('shapes-sd');
  });

  it('resolves folder URLs against the page and normalises them', () => {
    const spec = resolveModel('../models/my-model', specs, PAGE);
    expect(spec.urls).toEqual({ fp32: 'https://site.example/models/my-model/' });
    expect(resolveModel('https://huggingface.co/org/repo', specs, PAGE).urls.fp32).toBe('https://huggingface.co/org/repo/resolve/main/');
  });

  it('refuses an unknown preset id, naming the presets', () => {
    expect(() => resolveModel('shapes', specs, PAGE)).toThrow(InvalidRequestError);
    expect(() => resolveModel('shapes', specs, PAGE)).toThrow(/shapes-sd, sd-v1-4/);
  });

  it('asks for the folder URL for sd-v1-4, whose weights are not hosted here', () => {
    expect(() => resolveModel('sd-v1-4', specs, PAGE)).toThrow(InvalidRequestError);
    expect(() => resolveModel('sd-v1-4', specs, PAGE)).toThrow(
      /set model to the URL of your own folder \(URL of your Stable Diffusion v1\.4 folder \(made with tools\/prepare_model\.py/,
    );
  });
});

describe('requestFromAttributes', () => {
  it("fills absent attributes from the preset's recommendation", () => {
    const request = requestFromAttributes(reader({ prompt: 'a red circle' }), shapes, () => 123);
    expect(request).toEqual({
      prompt: 'a red circle',
      negativePrompt: '',
      promptSyntax: 'a1111',
      scheduler: 'pndm',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      seed: 123,
      width: 128,
      height: 128,
    });
  });

  it("decoder: tiny joins the request; an unknown decoder is the validator's error; absent, the engine's full VAE", () => {
    expect(requestFromAttributes(reader({ prompt: 'x', decoder: 'tiny' }), shapes, () => 1).decoder).toBe('tiny');
    expect(requestFromAttributes(reader({ prompt: 'x' }), shapes, () => 1)).not.toHaveProperty('decoder');
    expect(() => requestFromAttributes(reader({ prompt: 'x', decoder: 'fast' }), shapes, () => 1)).toThrow(/Decoder must be one of full, tiny \(got "fast"\)/);
  });

  it("leaves what a URL model does not recommend to the engine (its defaults, the loaded model's size)", () => {
    const spec = resolveModel('https://host.example/m/', specs, PAGE);
    expect(requestFromAttributes(reader({}), spec, () => 1)).toEqual({ prompt: '', negativePrompt: '', promptSyntax: 'a1111', seed: 1 });
  });

  it("takes every attribute as given, in the request's names", () => {
    const attributes = {
      prompt: 'p',
      'negative-prompt': 'n',
      'prompt-syntax': 'plain',
      scheduler: 'euler_a',
      steps: '4',
      guidance: '1.5',
      seed: '42',
      width: '64',
      height: '96',
    };
    expect(requestFromAttributes(reader(attributes), shapes, () => 0)).toEqual({
      prompt: 'p',
      negativePrompt: 'n',
      promptSyntax: 'plain',
      scheduler: 'euler_a',
      numInferenceSteps: 4,
      guidanceScale: 1.5,
      seed: 42,
      width: 64,
      height: 96,
    });
  });

  it('refuses every number attribute written as Number() alone reads it, naming the attribute and the value', () => {
    const numbers = ['steps', 'guidance', 'eta', 'seed', 'width', 'height'] as const;
    for (const name of numbers) {
      for (const bad of ['0x80', '0b1000', '0o20', '1e2', '2E1', ' 64', '64\t', 'Infinity', '-Infinity']) {
        expect(() => requestFromAttributes(reader({ [name]: bad }), shapes, () => 0), `${name}=${bad}`).toThrow(
          `The ${name} attribute must be a decimal number such as 20 or 7.5 (got "${bad}").`,
        );
      }
    }
  });

  it('keeps the decimal numbers it took before: counts, scales, seeds up to 2^53-1 (2^32-1 and past), -1 for a random seed', () => {
    const attributes = { steps: '020', guidance: '7.5', eta: '0.25', width: '96', height: '64' };
    expect(requestFromAttributes(reader(attributes), shapes, () => 0)).toMatchObject({
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      eta: 0.25,
      width: 96,
      height: 64,
    });
    for (const seed of [0, 4294967295, 4294967296, 9007199254740991]) {
      expect(requestFromAttributes(reader({ seed: String(seed) }), shapes, () => 1).seed).toBe(seed);
    }
    expect(requestFromAttributes(reader({ seed: '-1' }), shapes, () => 4294967295).seed).toBe(4294967295);
    expect(requestFromAttributes(reader({ seed: '-0' }), shapes, () => 7).seed).toBe(0);
  });

  it('draws a seed for seed=-1 and for no seed', () => {
    let drawn = 0;
    const draw = () => ++drawn;
    expect(requestFromAttributes(reader({ seed: '-1' }), shapes, draw).seed).toBe(1);
    expect(requestFromAttributes(reader({}), shapes, draw).seed).toBe(2);
  });

  it("checks sizes against the model geometry it is given (the loaded model's size multiple)", () => {
    const geometry = { ...SD_V1_GEOMETRY, sizeMultiple: 32, unetDownsamplings: 2 };
    expect(() => requestFromAttributes(reader({ width: '120' }), shapes, () => 0, geometry)).toThrow(
      "Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 120).",
    );
    // Before loading, the preset's declared rule (shapes-sd: 2 down-samplings); a URL model: multiples of 8.
    expect(() => requestFromAttributes(reader({ width: '120' }), shapes, () => 0)).toThrow('Width must be a multiple of 32 for this model');
    expect(requestFromAttributes(reader({ width: '120' }), resolveModel('https://host.example/m/', specs, PAGE), () => 0).width).toBe(120);
  });

  it.each([
    [{ steps: 'abc' }, 'numInferenceSteps', 'The steps attribute must be a decimal number such as 20 or 7.5 (got "abc").'],
    [{ steps: '0x80' }, 'numInferenceSteps', 'The steps attribute must be a decimal number such as 20 or 7.5 (got "0x80").'],
    [{ guidance: '1e1' }, 'guidanceScale', 'The guidance attribute must be a decimal number such as 20 or 7.5 (got "1e1").'],
    [{ eta: '0b1' }, 'eta', 'The eta attribute must be a decimal number such as 20 or 7.5 (got "0b1").'],
    [{ seed: '0o17' }, 'seed', 'The seed attribute must be a decimal number such as 20 or 7.5 (got "0o17").'],
    [{ width: ' 128' }, 'width', 'The width attribute must be a decimal number such as 20 or 7.5 (got " 128").'],
    [{ height: 'Infinity' }, 'height', 'The height attribute must be a decimal number such as 20 or 7.5 (got "Infinity").'],
    [{ seed: '9007199254740992' }, 'seed', 'Seed must be a whole number from 0 to 9007199254740991 (got 9007199254740992).'],
    [{ steps: '2.5' }, 'numInferenceSteps', 'Steps must be a whole number from 1 to 1000 (got 2.5).'],
    [{ steps: '0' }, 'numInferenceSteps', 'Steps must be a whole number from 1 to 1000 (got 0).'],
    [{ guidance: '-1' }, 'guidanceScale', 'Guidance scale must be a number from 0 to 50 (got -1).'],
    [{ seed: '-2' }, 'seed', 'Seed must be a whole number from 0 to 9007199254740991 (got -2).'],
    [{ width: '100' }, 'width', "Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 100)."],
    [{ height: '4096' }, 'height', 'Height must be a whole number from 32 to 2048 (got 4096).'],
    [{ 'prompt-syntax': 'nai' }, 'promptSyntax', 'Prompt syntax must be one of plain, a1111 (got "nai").'],
    [
      { scheduler: 'k_lms' },
      'scheduler',
      'Scheduler must be one of pndm, ddim, lms, euler, euler_a, heun, dpmpp_2m, dpmpp_2m_karras, unipc, lcm, tcd (got "k_lms").',
    ],
  ])("refuses %j with the field and the validator's words", (attributes, field, message) => {
    let caught: unknown;
    try {
      requestFromAttributes(reader(attributes as Record<string, string>), shapes, () => 0);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ field, message });
  });
});

describe('requestFromAttributes with pictures (img2img / inpainting)', () => {
  const picture = (width: number, height: number): RgbaImage => ({ width, height, data: new Uint8ClampedArray(width * height * 4).fill(200) });
  const init = picture(64, 96);

  it("takes the init image, its size (not the preset's recommended size) and strength 0.75 by default", () => {
    const request = requestFromAttributes(reader({ prompt: 'p', seed: '5' }), shapes, () => 0, undefined, { initImage: init });
    expect(request).toEqual({
      prompt: 'p',
      negativePrompt: '',
      promptSyntax: 'a1111',
      scheduler: 'pndm',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      seed: 5,
      initImage: init,
      strength: 0.75,
    });
  });

  it('adds the mask and the strength attribute as given', () => {
    const mask = picture(64, 96);
    const request = requestFromAttributes(reader({ strength: '0.4', steps: '10' }), shapes, () => 0, undefined, { initImage: init, mask });
    expect(request).toMatchObject({ initImage: init, mask, strength: 0.4, numInferenceSteps: 10 });
    expect(request.width).toBeUndefined();
  });

  it('leaves strength out without an init image (text-to-image), but still refuses a bad one', () => {
    expect(requestFromAttributes(reader({ strength: '0.5' }), shapes, () => 0)).not.toHaveProperty('strength');
    expect(() => requestFromAttributes(reader({ strength: '2' }), shapes, () => 0)).toThrow(/strength attribute must be a number in \(0, 1\]/);
  });

  it.each([
    ['a mask of another size', { mask: picture(64, 64) }, {}, 'mask', "The mask is 64x64 but the init image is 64x96: give a mask of the image's size."],
    [
      'a picture the model cannot take',
      { initImage: picture(100, 64) },
      {},
      'initImage',
      'The init image is 100x64; this model takes sides that are multiples of 32 up to 2048: resize or crop the picture first.',
    ],
    [
      "a width attribute that is not the picture's",
      {},
      { width: '128' },
      'width',
      "The output has the init image's size, 64x96 (got width 128): leave width out or resize the picture first.",
    ],
    [
      'a strength that runs no step',
      {},
      { strength: '0.01', steps: '20' },
      'strength',
      'Strength 0.01 with 20 steps runs no step (int(steps x strength) = 0): raise the strength or the steps.',
    ],
    [
      'a strength outside (0, 1]',
      {},
      { strength: '1.5' },
      'strength',
      'The strength attribute must be a number in (0, 1], how much of the picture is repainted (got "1.5").',
    ],
  ])('refuses %s with the field and one line', (_, images, attributes, field, message) => {
    let caught: unknown;
    try {
      requestFromAttributes(reader(attributes as Record<string, string>), shapes, () => 0, undefined, { initImage: init, ...images });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ field, message });
  });

  it('refuses a mask without an init image', () => {
    expect(() => requestFromAttributes(reader({}), shapes, () => 0, undefined, { mask: init })).toThrow(
      'A mask needs an init image: give the picture to inpaint as well.',
    );
  });
});

describe("withModelRecommendation: the loaded folder's sampler settings for the attributes left unset", () => {
  // What LocalEngine reports for an LCM-distilled folder (its UNet's time_cond_proj_dim) and for shapes-sd's.
  const pndm = parseSchedulerConfig({ _class_name: 'PNDMScheduler' });
  const lcm = folderRecommendation({ schedulerConfig: pndm, timeCondProjDim: 256 });
  const plain = folderRecommendation({ schedulerConfig: pndm, timeCondProjDim: null });
  const url = resolveModel('https://host.example/lcm-dreamshaper/', specs, PAGE);
  const make = (attributes: Record<string, string>, preset = url) => {
    const read = reader({ prompt: 'a fox', ...attributes });
    return { read, request: requestFromAttributes(read, preset, () => 9) };
  };

  it('an LCM-distilled model: LCM, 4 steps, guidance 1 where no attribute is set (the URL model had no recommendation)', () => {
    expect(lcm).toEqual(FAST_LCM_SETTINGS);
    const { read, request } = make({});
    expect(request).not.toHaveProperty('scheduler');
    expect(withModelRecommendation(request, read, lcm)).toEqual({ ...request, scheduler: 'lcm', numInferenceSteps: 4, guidanceScale: 1 });
  });

  it("replaces a preset's recommendation too (the folder knows its UNet), as the app writes it over the form", () => {
    const { read, request } = make({}, shapes);
    expect(request).toMatchObject({ scheduler: 'pndm', numInferenceSteps: 20, guidanceScale: 7.5 });
    expect(withModelRecommendation(request, read, lcm)).toMatchObject({ scheduler: 'lcm', numInferenceSteps: 4, guidanceScale: 1, width: 128, seed: 9 });
  });

  it('an attribute the page set always wins, field by field; an empty attribute counts as unset', () => {
    const steps = make({ steps: '8' });
    expect(withModelRecommendation(steps.request, steps.read, lcm)).toMatchObject({ scheduler: 'lcm', numInferenceSteps: 8, guidanceScale: 1 });
    const all = make({ scheduler: 'euler', steps: '6', guidance: '1.5' });
    expect(withModelRecommendation(all.request, all.read, lcm)).toEqual(all.request);
    const empty = make({ scheduler: ' ', guidance: '' });
    expect(withModelRecommendation(empty.request, empty.read, lcm)).toMatchObject({ scheduler: 'lcm', numInferenceSteps: 4, guidanceScale: 1 });
  });

  it('a model that recommends nothing leaves the request as it is', () => {
    expect(plain).toBeNull();
    const { read, request } = make({}, shapes);
    expect(withModelRecommendation(request, read, plain)).toBe(request);
  });
});
