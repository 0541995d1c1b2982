import { describe, expect, it } from 'vitest';
import { formatParameters, parseParameters, type GenerationParameters } from '../core/parameters.js';
import { presets } from '../presets/presets.js';
import { readPngTextChunks } from '../core/png.js';
import { encodeImagePng } from '../engine/request/png-file.js';
import type { ResolvedRequest } from '../engine/request/request.js';
import { fromRequest } from './form-values.js';
import { presetForModel, restoreParameters, restoreRequest, schedulerForSampler } from './parameter-restore.js';

const specs = presets('https://app.example/');

const ours: GenerationParameters = {
  prompt: 'a red circle on a blue background',
  negativePrompt: 'blurry',
  steps: 6,
  sampler: 'Euler a',
  guidanceScale: 7.5,
  seed: 1234,
  width: 128,
  height: 128,
  model: 'shapes-sd-fp32',
};

describe('restoreParameters', () => {
  it('maps our own parameters back to every form field, model included', () => {
    expect(restoreParameters(ours, specs)).toEqual({
      values: {
        modelId: 'shapes-sd',
        prompt: 'a red circle on a blue background',
        negativePrompt: 'blurry',
        promptSyntax: 'plain', // an entry without the setting was made before it existed, with the plain syntax
        scheduler: 'euler_a',
        steps: 6,
        guidanceScale: 7.5,
        seed: 1234,
        width: 128,
        height: 128,
        timestepSpacing: '', // none written: the model's own
        decoder: 'full', // no "VAE Decoder": Full, as A1111 reads it
      },
      notes: [],
    });
  });

  it("restores A1111's VAE Decoder: TAESD as the tiny decoder; another decoder is left alone, with a note", () => {
    expect(restoreParameters(parseParameters(formatParameters({ ...ours, vaeDecoder: 'TAESD' })), specs).values.decoder).toBe('tiny');
    const other = restoreParameters(parseParameters(formatParameters({ ...ours, vaeDecoder: 'Approx NN' })), specs);
    expect(other.values.decoder).toBeUndefined();
    expect(other.notes).toEqual(['The VAE decoder "Approx NN" is not available here, so the final decode was left as it was.']);
  });

  it("restores A1111's VAE Encoder with the decoder choice, the one choice here that selects both (the tiny encoder where the folder has taesd_encoder/)", () => {
    const picture = { ...ours, denoisingStrength: 0.6 };
    const restore = (p: GenerationParameters) => restoreParameters(parseParameters(formatParameters(p)), specs);
    const both = restore({ ...picture, vaeEncoder: 'TAESD', vaeDecoder: 'TAESD' });
    expect(both.values.decoder).toBe('tiny');
    expect(both.notes.filter((note) => /encode|ignored/i.test(note))).toEqual([]);
    // the tiny decoder alone: a folder without taesd_encoder/ (shapes-sd) makes exactly this, so no note
    expect(restore({ ...picture, vaeDecoder: 'TAESD' }).notes.filter((note) => /VAE encoder|tiny autoencoder/.test(note))).toEqual([]);
    const encoderOnly = restore({ ...picture, vaeEncoder: 'TAESD' });
    expect(encoderOnly.values.decoder).toBe('full');
    expect(encoderOnly.notes).toContain(
      'It encoded its picture with the tiny autoencoder (VAE Encoder: TAESD) but decoded it with the full VAE; here the tiny encoder comes only with the tiny decoder, so the full VAE encodes the picture and it may differ.',
    );
    expect(restore({ ...picture, vaeEncoder: 'Approx NN' }).notes).toContain(
      'The VAE encoder "Approx NN" is not available here: the picture is encoded with the model\'s VAE (or the tiny one with the tiny decoder), so it may differ.',
    );
  });

  it('reads an A1111 img2img text with `VAE Encoder: TAESD` as a setting, not as an ignored extra', () => {
    const text =
      'a fox\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512, Model: v1-5-pruned-emaonly, Denoising strength: 0.75, VAE Encoder: TAESD, VAE Decoder: TAESD, Version: v1.10.1';
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    expect(values).toMatchObject({ decoder: 'tiny', strength: 0.75 });
    expect(notes.join(' ')).not.toMatch(/VAE Encoder|ignored/);
  });

  it('restores our own img2img PNG encoded and decoded by the tiny autoencoder with the tiny decoder, without a note about it', async () => {
    const request: ResolvedRequest = {
      prompt: 'a red circle',
      negativePrompt: '',
      promptSyntax: 'plain',
      scheduler: 'euler',
      numInferenceSteps: 4,
      guidanceScale: 7.5,
      seed: 3,
      width: 128,
      height: 128,
      strength: 0.6,
      decoder: 'tiny',
      encoder: 'tiny',
    };
    const png = await encodeImagePng({ rgba: new Uint8ClampedArray(4), width: 1, height: 1, request, model: 'shapes-sd-fp32' });
    const text = readPngTextChunks(png).parameters;
    expect(text).toMatch(/VAE Encoder: TAESD, VAE Decoder: TAESD$/);
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    expect(values.decoder).toBe('tiny');
    expect(notes).toEqual([
      'It was made from a picture (denoising strength 0.6, restored): pick that picture (and paint its mask) under "Start from a picture" to make it again.',
    ]);
  });

  it('round-trips through the PNG text (format, then parse)', () => {
    expect(restoreParameters(parseParameters(formatParameters(ours)), specs).values.scheduler).toBe('euler_a');
    for (const promptSyntax of ['plain', 'a1111'] as const) {
      expect(restoreParameters(parseParameters(formatParameters({ ...ours, promptSyntax })), specs).values.promptSyntax).toBe(promptSyntax);
    }
  });

  it('reads an AUTOMATIC1111 v1.6+ infotext (schedule type apart, extras noted)', () => {
    const text = [
      'masterpiece, a lighthouse at dawn',
      'Negative prompt: lowres, bad anatomy',
      'Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 3141592653, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Clip skip: 2, Version: v1.10.1',
    ].join('\n');
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    expect(values).toMatchObject({
      prompt: 'masterpiece, a lighthouse at dawn',
      negativePrompt: 'lowres, bad anatomy',
      promptSyntax: 'a1111',
      scheduler: 'dpmpp_2m_karras',
      steps: 30,
      guidanceScale: 7,
      seed: 3141592653,
      width: 512,
      height: 768,
    });
    expect(values.modelId).toBeUndefined();
    expect(notes).toEqual([
      'It was made with the model "v1-5-pruned-emaonly"; the model picker was left as it was, so the picture may differ.',
      'Settings this engine does not have were ignored: Clip skip.',
    ]);
  });

  it('keeps the sampler when it is unknown here, and says so', () => {
    const { values, notes } = restoreParameters({ ...ours, sampler: 'DPM++ SDE', model: '' }, specs);
    expect(values.scheduler).toBeUndefined();
    expect(notes).toEqual(['The sampler "DPM++ SDE" is not available here, so the sampler was left as it was.']);
  });
});

describe('few-step samplers: LCM, TCD and its eta, DDIM eta, the timestep spacing', () => {
  const base: ResolvedRequest = {
    prompt: 'a yellow star',
    negativePrompt: '',
    promptSyntax: 'a1111',
    scheduler: 'lcm',
    numInferenceSteps: 4,
    guidanceScale: 1,
    seed: 3,
    width: 128,
    height: 128,
  };
  const roundTrip = async (request: ResolvedRequest) => {
    const png = await encodeImagePng({ rgba: new Uint8ClampedArray(4 * 4 * 4).fill(255), width: 4, height: 4, request, model: 'shapes-sd-fp32' });
    const text = readPngTextChunks(png).parameters;
    return { text, ...restoreParameters(parseParameters(text), specs) };
  };

  it('writes A1111\'s "Sampler: LCM" and restores it, guidance 1 and 4 steps included', async () => {
    const { text, values, notes } = await roundTrip(base);
    expect(text).toContain('Steps: 4, Sampler: LCM, CFG scale: 1,');
    expect(values).toMatchObject({ scheduler: 'lcm', steps: 4, guidanceScale: 1, timestepSpacing: '' });
    expect(notes).toEqual([]);
  });

  it('writes TCD\'s gamma as "Eta" and DDIM\'s eta as A1111\'s "Eta DDIM", and the spacing as "Timestep spacing"; all restore', async () => {
    const tcd = await roundTrip({ ...base, scheduler: 'tcd', guidanceScale: 0, eta: 0.3 });
    expect(tcd.text).toContain('Sampler: TCD, CFG scale: 0,');
    expect(tcd.text).toContain('Eta: 0.3');
    expect(tcd.values).toMatchObject({ scheduler: 'tcd', guidanceScale: 0, eta: 0.3 });
    const ddim = await roundTrip({ ...base, scheduler: 'ddim', guidanceScale: 5, eta: 0.5, timestepSpacing: 'trailing' });
    expect(ddim.text).toContain('Eta DDIM: 0.5, Timestep spacing: trailing');
    expect(ddim.values).toMatchObject({ scheduler: 'ddim', eta: 0.5, timestepSpacing: 'trailing' });
    expect([...tcd.notes, ...ddim.notes]).toEqual([]);
  });

  it('reads A1111\'s own DDIM eta; its ancestral "Eta" on Euler a is not this engine\'s and is said so', () => {
    const ddim = restoreParameters(parseParameters('a house\nSteps: 20, Sampler: DDIM, CFG scale: 7, Seed: 1, Size: 512x512, Eta DDIM: 0.2'), specs);
    expect(ddim).toMatchObject({ values: { scheduler: 'ddim', eta: 0.2 }, notes: [] });
    const eulerA = restoreParameters(parseParameters('a house\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Eta: 0.5'), specs);
    expect(eulerA.values.eta).toBeUndefined();
    expect(eulerA.notes).toEqual(['Settings this engine does not have were ignored: Eta.']);
  });
});

describe('restoring the denoising strength (img2img / inpainting)', () => {
  const request: ResolvedRequest = {
    prompt: 'a yellow star',
    negativePrompt: '',
    promptSyntax: 'a1111',
    scheduler: 'euler',
    numInferenceSteps: 4,
    guidanceScale: 7.5,
    seed: 3,
    width: 128,
    height: 128,
    strength: 0.5,
  };
  const note =
    'It was made from a picture (denoising strength 0.5, restored): pick that picture (and paint its mask) under "Start from a picture" to make it again.';

  it("reads it from the app's own PNG (the engine's PNG writer, its text read back from the file)", async () => {
    const png = await encodeImagePng({ rgba: new Uint8ClampedArray(4 * 4 * 4).fill(255), width: 4, height: 4, request, model: 'shapes-sd-fp32' });
    const text = readPngTextChunks(png).parameters;
    expect(text).toContain('Denoising strength: 0.5');
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    expect(values).toMatchObject({ strength: 0.5, scheduler: 'euler', steps: 4, seed: 3, modelId: 'shapes-sd' });
    expect(notes).toEqual([note]);
  });

  it('reads it from a gallery entry (the request itself)', () => {
    expect(restoreRequest(request, 'shapes-sd-fp32', specs)).toEqual({
      values: { ...fromRequest(request), decoder: 'full', modelId: 'shapes-sd', eta: 0, timestepSpacing: '' },
      notes: [note],
    });
    expect(restoreRequest({ ...request, decoder: 'tiny' }, 'shapes-sd-fp32', specs).values.decoder).toBe('tiny');
    expect(restoreRequest(request, 'shapes-sd-fp32', specs).values.strength).toBe(0.5);
  });

  it("reads AUTOMATIC1111's img2img infotext; a strength out of range is not restored, and a note says so", () => {
    const text = 'a house\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model hash: abc, Denoising strength: 0.45, Mask blur: 4';
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    expect(values.strength).toBe(0.45);
    expect(notes).toContain('Settings this engine does not have were ignored: Mask blur.');
    const outOfRange = restoreParameters(parseParameters(text.replace('0.45', '5')), specs);
    expect(outOfRange.values).not.toHaveProperty('strength');
    expect(outOfRange.notes).toContain('"Denoising strength: 5" was not restored: strength must be a number in (0, 1].');
  });

  it('values out of range (Size: 0x0, Steps: 0, CFG scale: 99) are not restored, each with a note (issue 25, smaller)', () => {
    const text = 'a house\nSteps: 0, Sampler: Euler a, CFG scale: 99, Seed: 1, Size: 0x0';
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    for (const key of ['width', 'height', 'steps', 'guidanceScale'] as const) expect(values, key).not.toHaveProperty(key);
    expect(values).toMatchObject({ prompt: 'a house', seed: 1 });
    expect(notes).toEqual(
      expect.arrayContaining([
        'Steps were not restored: Steps must be a whole number from 1 to 1000 (got 0).',
        'Guidance scale was not restored: Guidance scale must be a number from 0 to 50 (got 99).',
        'Width was not restored: Width must be a whole number from 8 to 2048 (got 0).',
        'Height was not restored: Height must be a whole number from 8 to 2048 (got 0).',
      ]),
    );
    expect(notes.join(' ')).not.toContain('multiple of 8');
  });

  it("leaves A1111's hires-fix denoising strength (a txt2img setting) alone", () => {
    const text =
      'a house\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.7, Hires upscale: 2, Hires upscaler: Latent';
    const { values, notes } = restoreParameters(parseParameters(text), specs);
    expect(values.strength).toBeUndefined();
    expect(notes).toEqual(['Settings this engine does not have were ignored: Hires upscale, Hires upscaler.']);
  });
});

describe('schedulerForSampler', () => {
  it('knows A1111 labels, old and new Karras spellings, and PLMS', () => {
    expect(schedulerForSampler('Euler a')).toBe('euler_a');
    expect(schedulerForSampler('DPM++ 2M Karras')).toBe('dpmpp_2m_karras');
    expect(schedulerForSampler('DPM++ 2M', 'Karras')).toBe('dpmpp_2m_karras');
    expect(schedulerForSampler('DPM++ 2M', 'Automatic')).toBe('dpmpp_2m');
    expect(schedulerForSampler('Euler', 'Karras')).toBe('euler');
    expect(schedulerForSampler('PLMS')).toBe('pndm');
    expect(schedulerForSampler('unipc')).toBe('unipc');
    expect(schedulerForSampler('Restart')).toBeNull();
  });
});

describe('presetForModel', () => {
  it('matches a preset by id or by the folder name the weight store reports', () => {
    expect(presetForModel('shapes-sd-fp16', specs)?.id).toBe('shapes-sd');
    expect(presetForModel('shapes-sd', specs)?.id).toBe('shapes-sd');
    expect(presetForModel('sd-v1-4', specs)?.id).toBe('sd-v1-4');
    expect(presetForModel('shapes', specs)).toBeNull();
    expect(presetForModel('', specs)).toBeNull();
  });
});
