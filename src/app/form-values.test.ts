import { describe, expect, it } from 'vitest';
import { SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import { imageInputRefusal } from '../engine/model/model-parts.js';
import { VALID_FORM_VALUES as valid } from '../testing/form-values.js';
import { CUSTOM_MODEL_ID, formNumber, fromRequest, MODE_HINT, modeHint, toRequest, validateForm } from './form-values.js';

describe('formNumber', () => {
  it("reads a number field's plain decimal digits, as the element's attributes", () => {
    expect(['20', '7.5', '-1', '0.75', '4294967295'].map(formNumber)).toEqual([20, 7.5, -1, 0.75, 4294967295]);
  });
  it('reads anything else as NaN, which validateForm refuses (a number input lets 1e3 through)', () => {
    for (const bad of ['', ' ', '1e3', '0x80', '0b1', '0o17', 'Infinity', ' 20']) expect(formNumber(bad), bad).toBeNaN();
    expect(validateForm({ ...valid, steps: formNumber('1e3') })).toEqual([
      { field: 'steps', message: 'Steps must be a whole number from 1 to 1000 (got NaN).' },
    ]);
  });
});

describe('validateForm', () => {
  it('accepts a complete form', () => {
    expect(validateForm(valid)).toEqual([]);
  });

  it('names each bad field with what to do', () => {
    const errors = validateForm({ ...valid, steps: 0, guidanceScale: NaN, width: 130, batchCount: 1.5, seed: -2 });
    expect(errors.map((e) => e.field)).toEqual(['steps', 'guidanceScale', 'width', 'seed', 'batchCount']);
    expect(validateForm({ ...valid, promptSyntax: 'nai' as 'plain' })).toEqual([
      { field: 'promptSyntax', message: 'Prompt syntax must be one of plain, a1111 (got "nai").' },
    ]);
    expect(errors.find((e) => e.field === 'width')?.message).toBe(
      "Width must be a multiple of 8 for this model (the VAE's factor 8 x 2^0 UNet down-samplings): try 128 or 136 (got 130).",
    );
  });

  it("checks sizes with the loaded model's rule: multiples of 32 for shapes-sd (2 UNet down-samplings)", () => {
    const shapes = { ...SD_V1_GEOMETRY, sizeMultiple: 32, unetDownsamplings: 2, defaultWidth: 128, defaultHeight: 128 };
    expect(validateForm({ ...valid, width: 120 }, shapes)).toEqual([
      { field: 'width', message: "Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 120)." },
    ]);
    expect(validateForm({ ...valid, width: 96, height: 160 }, shapes)).toEqual([]);
  });

  it('accepts an empty prompt (unconditional, as in diffusers and AUTOMATIC1111)', () => {
    expect(validateForm({ ...valid, prompt: '' })).toEqual([]);
  });

  it('needs a usable URL for a custom model', () => {
    expect(validateForm({ ...valid, modelId: CUSTOM_MODEL_ID, customUrl: '' })[0].field).toBe('customUrl');
    expect(validateForm({ ...valid, modelId: CUSTOM_MODEL_ID, customUrl: 'ftp://example.com/model/' })[0].message).toContain('http(s)');
    expect(validateForm({ ...valid, modelId: CUSTOM_MODEL_ID, customUrl: 'https://huggingface.co/org/repo' })).toEqual([]);
  });
});

describe('toRequest', () => {
  it('maps the form to diffusers-named request fields with the resolved seed', () => {
    expect(toRequest({ ...valid, negativePrompt: 'blurry', scheduler: 'euler_a' }, 1234)).toEqual({
      prompt: 'a red circle on a blue background',
      negativePrompt: 'blurry',
      promptSyntax: 'a1111',
      scheduler: 'euler_a',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      seed: 1234,
      width: 128,
      height: 128,
    });
  });

  it("sends eta only when not 0 and the spacing only when it overrides the model's; fromRequest maps them back", () => {
    const fast = toRequest({ ...valid, scheduler: 'tcd', steps: 4, guidanceScale: 0, eta: 0.3, timestepSpacing: 'trailing' }, 1);
    expect(fast).toMatchObject({ scheduler: 'tcd', numInferenceSteps: 4, guidanceScale: 0, eta: 0.3, timestepSpacing: 'trailing' });
    expect('eta' in toRequest(valid, 1) || 'timestepSpacing' in toRequest(valid, 1)).toBe(false);
    expect(fromRequest({ scheduler: 'tcd', eta: 0.3, timestepSpacing: 'trailing' })).toEqual({ scheduler: 'tcd', eta: 0.3, timestepSpacing: 'trailing' });
    expect(validateForm({ ...valid, scheduler: 'lcm', steps: 4, guidanceScale: 0, eta: 1 })).toEqual([]);
    expect(validateForm({ ...valid, eta: 2 }).map((e) => e.field)).toEqual(['eta']);
  });
});

describe('the picture modes (image to image, inpaint)', () => {
  const picture = { width: 128, height: 96, data: new Uint8ClampedArray(128 * 96 * 4) };
  const mask = { width: 128, height: 96, data: new Uint8ClampedArray(128 * 96 * 4).fill(255) };
  const shapes = { ...SD_V1_GEOMETRY, sizeMultiple: 32, unetDownsamplings: 2, defaultWidth: 128, defaultHeight: 128 };

  it('image to image sends the picture and the strength, and leaves the size to the picture', () => {
    const request = toRequest({ ...valid, mode: 'img2img', strength: 0.6, width: 512, height: 512 }, 7, { initImage: picture, mask });
    expect(request).toEqual({ ...toRequest(valid, 7), width: undefined, height: undefined, initImage: picture, strength: 0.6 });
    expect('width' in request || 'height' in request || 'mask' in request).toBe(false);
    expect(validateForm({ ...valid, mode: 'img2img', strength: 0.6 }, shapes, false, { initImage: picture, mask: null })).toEqual([]);
  });

  it('inpaint sends the mask as well; text to image sends none of them', () => {
    expect(toRequest({ ...valid, mode: 'inpaint', strength: 1 }, 7, { initImage: picture, mask })).toMatchObject({ initImage: picture, mask, strength: 1 });
    const plain = toRequest({ ...valid, strength: 0.3 }, 7, { initImage: picture, mask });
    expect(plain).toEqual({ ...toRequest(valid, 7) });
    expect(Object.keys(plain)).not.toContain('strength');
  });

  it("strength outside (0, 1], or one that runs no step, is refused at the strength field in the engine validator's words", () => {
    const withImage = (strength: number, steps = 20) =>
      validateForm({ ...valid, mode: 'img2img', strength, steps }, shapes, false, { initImage: picture, mask: null });
    expect(withImage(0)).toEqual([{ field: 'strength', message: 'Strength must be a number in (0, 1] (got 0).' }]);
    expect(withImage(1.5)).toEqual([{ field: 'strength', message: 'Strength must be a number in (0, 1] (got 1.5).' }]);
    expect(withImage(NaN).map((e) => e.field)).toEqual(['strength']);
    expect(withImage(0.04, 20)).toEqual([
      { field: 'strength', message: 'Strength 0.04 with 20 steps runs no step (int(steps x strength) = 0): raise the strength or the steps.' },
    ]);
    expect(withImage(1)).toEqual([]);
  });

  it('asks for a picture, and to inpaint for a painted mask, before anything else about them', () => {
    expect(validateForm({ ...valid, mode: 'img2img' }, shapes).map((e) => e.field)).toEqual(['initImage']);
    expect(validateForm({ ...valid, mode: 'inpaint' }, shapes, false, { initImage: picture, mask: null })).toEqual([
      { field: 'mask', message: 'Paint over the part of the picture to repaint (it shows striped), or choose "Image to image" to change all of it.' },
    ]);
    expect(validateForm({ ...valid, mode: 'sketch' as 'img2img' }, shapes).map((e) => e.field)).toEqual(['mode']);
  });

  it("a picture or mask the model cannot take is named at the picture and mask, in the engine's words", () => {
    const odd = { width: 100, height: 96, data: new Uint8ClampedArray(100 * 96 * 4) };
    expect(validateForm({ ...valid, mode: 'img2img' }, shapes, false, { initImage: odd, mask: null })).toEqual([
      {
        field: 'initImage',
        message: 'The init image is 100x96; this model takes sides that are multiples of 32 up to 2048: resize or crop the picture first.',
      },
    ]);
    const small = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4) };
    expect(validateForm({ ...valid, mode: 'inpaint' }, shapes, false, { initImage: picture, mask: small })).toEqual([
      { field: 'mask', message: "The mask is 64x64 but the init image is 128x96: give a mask of the image's size." },
    ]);
  });

  it("a loaded model without vae_encoder/ refuses both picture modes at the mode, in the engine's words; text to image still goes", () => {
    const refusal = imageInputRefusal('no-encoder', false)!.message;
    for (const mode of ['img2img', 'inpaint'] as const) {
      expect(validateForm({ ...valid, mode }, shapes, false, { initImage: picture, mask: picture }, refusal)).toEqual([
        {
          field: 'mode',
          message: '"no-encoder" has no vae_encoder/model.onnx, which img2img and inpainting need: use a model folder exported with its VAE encoder.',
        },
      ]);
      // Said before asking for a picture: no picture would help.
      expect(validateForm({ ...valid, mode }, shapes, false, undefined, refusal).map((e) => e.field)).toEqual(['mode']);
    }
    expect(validateForm({ ...valid, mode: 'txt2img' }, shapes, false, undefined, refusal)).toEqual([]);
    // Other fields are still checked beside it.
    expect(validateForm({ ...valid, mode: 'img2img', steps: 0 }, shapes, false, { initImage: picture, mask: null }, refusal).map((e) => e.field)).toEqual([
      'mode',
      'steps',
    ]);
  });

  it('the mode hint names a loaded model that does text to image only', () => {
    expect(modeHint(null)).toBe(MODE_HINT);
    expect(modeHint({ name: 'shapes-sd-fp32', hasVaeEncoder: true })).toBe(MODE_HINT);
    expect(modeHint({ name: 'no-encoder', hasVaeEncoder: false })).toBe(imageInputRefusal('no-encoder', false)!.message);
  });

  it('fromRequest brings back the strength of a picture-mode request (a gallery entry)', () => {
    expect(fromRequest({ prompt: 'x', strength: 0.55 })).toEqual({ prompt: 'x', strength: 0.55 });
    expect(fromRequest({ prompt: 'x' })).toEqual({ prompt: 'x' });
  });
});
