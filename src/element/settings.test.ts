import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../core/errors.js';
import { presets } from '../engine/presets.js';
import { DEFAULTS } from '../engine/request.js';
import { parseNumberAttribute, parseSwitchAttribute, requestFromAttributes, resolveModel, type AttributeReader } from './settings.js';

const LIB = 'https://cdn.example/app/lib/';
const PAGE = 'https://site.example/blog/post.html';
const specs = presets(LIB);
const shapes = specs[0];
const model = { defaultWidth: 512, defaultHeight: 512 };
const reader = (attributes: Record<string, string>): AttributeReader => (name) => attributes[name] ?? null;

describe('attribute parsing', () => {
  it('reads numbers: absent or empty is null, garbage is NaN', () => {
    expect(parseNumberAttribute(null)).toBeNull();
    expect(parseNumberAttribute(' ')).toBeNull();
    expect(parseNumberAttribute('7.5')).toBe(7.5);
    expect(parseNumberAttribute('abc')).toBeNaN();
  });

  it('reads the preview switch: present is on, except "off"/"false"', () => {
    expect(parseSwitchAttribute(null)).toBe(false);
    expect(parseSwitchAttribute('')).toBe(true);
    expect(parseSwitchAttribute('on')).toBe(true);
    expect(parseSwitchAttribute('OFF')).toBe(false);
    expect(parseSwitchAttribute('false')).toBe(false);
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
});

describe('requestFromAttributes', () => {
  it("fills absent attributes from the preset's recommendation", () => {
    const request = requestFromAttributes(reader({ prompt: 'a red circle' }), shapes, model, () => 123);
    expect(request).toEqual({ prompt: 'a red circle', negativePrompt: '', scheduler: 'pndm', numInferenceSteps: 20, guidanceScale: 7.5, seed: 123, width: 128, height: 128 });
  });

  it("uses the loaded model's size and diffusers' defaults for a URL model", () => {
    const spec = resolveModel('https://host.example/m/', specs, PAGE);
    const request = requestFromAttributes(reader({}), spec, { defaultWidth: 512, defaultHeight: 768 }, () => 1);
    expect(request).toMatchObject({ scheduler: DEFAULTS.scheduler, numInferenceSteps: DEFAULTS.numInferenceSteps, guidanceScale: DEFAULTS.guidanceScale, width: 512, height: 768 });
  });

  it('takes every attribute as given', () => {
    const attributes = { prompt: 'p', 'negative-prompt': 'n', scheduler: 'euler_a', steps: '4', guidance: '1.5', seed: '42', width: '64', height: '96' };
    expect(requestFromAttributes(reader(attributes), shapes, model, () => 0)).toEqual({
      prompt: 'p', negativePrompt: 'n', scheduler: 'euler_a', numInferenceSteps: 4, guidanceScale: 1.5, seed: 42, width: 64, height: 96,
    });
  });

  it('draws a seed for seed=-1 and for no seed', () => {
    let drawn = 0;
    const draw = () => ++drawn;
    expect(requestFromAttributes(reader({ seed: '-1' }), shapes, model, draw).seed).toBe(1);
    expect(requestFromAttributes(reader({}), shapes, model, draw).seed).toBe(2);
  });

  it.each([
    [{ steps: 'abc' }, /The steps attribute must be a whole number from 1 to 1000 \(got "abc"\)/],
    [{ steps: '2.5' }, /steps attribute must be a whole number/],
    [{ steps: '0' }, /steps attribute/],
    [{ guidance: '-1' }, /The guidance attribute must be a number from 0 to 50/],
    [{ seed: '-2' }, /The seed attribute .* \(-1: a random seed\) \(got "-2"\)/],
    [{ width: '100' }, /The width attribute must be a multiple of 8 \(got 100\)/],
    [{ height: '4096' }, /height attribute must be a whole number from 8 to 2048/],
    [{ scheduler: 'k_lms' }, /The scheduler attribute must be one of pndm, .* \(got "k_lms"\)/],
  ])('refuses %j with an error naming the attribute', (attributes, message) => {
    expect(() => requestFromAttributes(reader(attributes as Record<string, string>), shapes, model, () => 0)).toThrow(message);
  });
});
