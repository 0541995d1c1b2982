/**
 * Infotext format and parsing. The A1111 strings below are in the shape stable-diffusion-webui
 * writes (processing.py create_infotext; example from infotext_utils.parse_generation_parameters'
 * docstring and a v1.6.0 txt2img infotext); expected parses follow that function's rules.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors.js';
import { formatParameters, type GenerationParameters, parseParameters, quoteParameterValue, unquoteParameterValue } from './parameters.js';

const base: GenerationParameters = {
  prompt: 'a red circle on a blue square',
  negativePrompt: 'blurry',
  steps: 25,
  sampler: 'Euler a',
  guidanceScale: 7.5,
  seed: 42,
  width: 512,
  height: 512,
  model: 'shapes-sd',
};

describe('formatParameters', () => {
  it('writes the A1111 layout', () => {
    expect(formatParameters(base)).toBe(
      'a red circle on a blue square\nNegative prompt: blurry\nSteps: 25, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: shapes-sd',
    );
  });

  it('omits the negative prompt line when it is empty', () => {
    expect(formatParameters({ ...base, negativePrompt: '', guidanceScale: 7, sampler: 'DPM++ 2M Karras', width: 512, height: 768 })).toBe(
      'a red circle on a blue square\nSteps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 42, Size: 512x768, Model: shapes-sd',
    );
  });

  it('JSON-quotes values with a comma, colon or newline, and appends extra settings', () => {
    const text = formatParameters({ ...base, model: 'my model, v2', extra: { Version: 'v1.6.0', Note: 'a: "b"' } });
    expect(text.split('\n').at(-1)).toBe(
      'Steps: 25, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: "my model, v2", Version: v1.6.0, Note: "a: \\"b\\""',
    );
  });

  it('rejects extra keys that clash with known fields or cannot be parsed back', () => {
    expect(() => formatParameters({ ...base, extra: { Seed: '1' } })).toThrow(InvalidRequestError);
    expect(() => formatParameters({ ...base, extra: { 'a,b': '1' } })).toThrow(InvalidRequestError);
  });
});

describe('parseParameters', () => {
  it('reads a real A1111 v1.6.0 infotext with extra keys', () => {
    const text =
      'masterpiece, best quality, a lighthouse at dusk, (dramatic sky:1.2)\n' +
      'Negative prompt: lowres, bad anatomy, watermark\n' +
      'Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 3312, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.6.0';
    expect(parseParameters(text)).toEqual({
      prompt: 'masterpiece, best quality, a lighthouse at dusk, (dramatic sky:1.2)',
      negativePrompt: 'lowres, bad anatomy, watermark',
      steps: 20,
      sampler: 'DPM++ 2M Karras',
      guidanceScale: 7,
      seed: 3312,
      width: 512,
      height: 768,
      model: 'v1-5-pruned-emaonly',
      promptSyntax: 'a1111', // an A1111 PNG: its prompt is in A1111's syntax
      vaeEncoder: 'Full', // no "VAE Encoder" / "VAE Decoder": A1111's parse_generation_parameters reads Full
      vaeDecoder: 'Full',
      extra: { 'Model hash': '6ce0161689', Version: 'v1.6.0' },
    });
  });

  it("writes A1111's `VAE Decoder: TAESD` for the tiny decoder, nothing for Full", () => {
    expect(formatParameters({ ...base, vaeDecoder: 'TAESD' })).toMatch(/, VAE Decoder: TAESD$/);
    expect(formatParameters({ ...base, vaeDecoder: 'Full' })).not.toMatch(/VAE Decoder/);
    expect(parseParameters('a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, VAE Decoder: TAESD, Version: v1.10.1')).toMatchObject({
      vaeDecoder: 'TAESD',
      extra: { Version: 'v1.10.1' },
    });
  });

  it("writes A1111's `VAE Encoder: TAESD` for the tiny encoder (before the decoder's key, as A1111 adds them), nothing for Full", () => {
    expect(formatParameters({ ...base, denoisingStrength: 0.6, vaeEncoder: 'TAESD', vaeDecoder: 'TAESD' })).toMatch(
      /, Denoising strength: 0\.6, VAE Encoder: TAESD, VAE Decoder: TAESD$/,
    );
    expect(formatParameters({ ...base, vaeEncoder: 'TAESD' })).toMatch(/, VAE Encoder: TAESD$/);
    expect(formatParameters({ ...base, vaeEncoder: 'Full' })).not.toMatch(/VAE Encoder/);
    expect(() => formatParameters({ ...base, extra: { 'VAE Encoder': 'TAESD' } })).toThrow(/"VAE Encoder" is a known field/);
  });

  it('reads `VAE Encoder` (an A1111 img2img text), absent as Full, and no longer as an extra setting', () => {
    const text = 'a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.75, VAE Encoder: TAESD, Version: v1.10.1';
    expect(parseParameters(text)).toMatchObject({ vaeEncoder: 'TAESD', vaeDecoder: 'Full', denoisingStrength: 0.75, extra: { Version: 'v1.10.1' } });
    expect(parseParameters(text.replace('VAE Encoder: TAESD', 'VAE Encoder: Full')).vaeEncoder).toBe('Full');
    expect(parseParameters(text.replace('VAE Encoder: TAESD, ', '')).vaeEncoder).toBe('Full');
    expect(parseParameters(text.replace('TAESD', '"Approx, NN"')).vaeEncoder).toBe('Approx, NN');
  });

  it('reads the docstring example of parse_generation_parameters (no Model, an 8-digit hash)', () => {
    const text =
      "girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy makeup, by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, intricate\n" +
      'Negative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, disfigured, poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), messy drawing\n' +
      'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b';
    const p = parseParameters(text);
    expect(p).toMatchObject({ steps: 20, sampler: 'Euler a', guidanceScale: 7, seed: 965400086, width: 512, height: 512, model: '' });
    expect(p.prompt.startsWith("girl with an artist's beret")).toBe(true);
    expect(p.negativePrompt.endsWith('messy drawing')).toBe(true);
    expect(p.extra).toEqual({ 'Model hash': '45dee52b' });
  });

  it('keeps multi-line prompts and negative prompts, trimming each line like A1111', () => {
    const text =
      'a castle on a hill,\n  at sunset,\nhighly detailed\n' +
      'Negative prompt: blurry,\nlow contrast\n' +
      'Steps: 30, Sampler: DDIM, CFG scale: 9.5, Seed: 7, Size: 768x512, Model: sd-v1-4, Lora hashes: "add_detail: 7c6bad76eb54, more_details: 3b8aa1d351ef", Schedule type: Karras, Denoising strength: 0.4';
    const p = parseParameters(text);
    expect(p.prompt).toBe('a castle on a hill,\nat sunset,\nhighly detailed');
    expect(p.negativePrompt).toBe('blurry,\nlow contrast');
    expect(p).toMatchObject({ steps: 30, sampler: 'DDIM', guidanceScale: 9.5, seed: 7, width: 768, height: 512, model: 'sd-v1-4' });
    expect(p.extra).toEqual({
      'Lora hashes': 'add_detail: 7c6bad76eb54, more_details: 3b8aa1d351ef',
      'Schedule type': 'Karras',
    });
    expect(p.denoisingStrength).toBe(0.4); // img2img's strength, a known field
  });

  it('writes and reads Denoising strength (img2img) after Model, as A1111 does; txt2img omits it', () => {
    const base = { prompt: 'p', negativePrompt: '', steps: 20, sampler: 'Euler', guidanceScale: 7.5, seed: 1, width: 128, height: 128, model: 'm' };
    const text = formatParameters({ ...base, denoisingStrength: 0.75 });
    expect(text).toBe('p\nSteps: 20, Sampler: Euler, CFG scale: 7.5, Seed: 1, Size: 128x128, Model: m, Denoising strength: 0.75');
    expect(parseParameters(text).denoisingStrength).toBe(0.75);
    expect(formatParameters(base)).not.toContain('Denoising');
    expect(parseParameters(formatParameters(base)).denoisingStrength).toBeUndefined();
    expect(() => parseParameters('p\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8, Denoising strength: lots')).toThrow(
      /Denoising strength: lots/,
    );
  });

  it('handles an empty prompt, Windows line ends and a prompt without negative', () => {
    expect(parseParameters('Steps: 10, Sampler: PNDM, CFG scale: 7.5, Seed: 0, Size: 128x128, Model: tiny')).toMatchObject({
      prompt: '',
      negativePrompt: '',
      steps: 10,
      model: 'tiny',
    });
    const crlf = parseParameters('a cat\r\nNegative prompt: dog\r\nSteps: 5, Sampler: LMS, CFG scale: 3, Seed: -1, Size: 64x64\r\n');
    expect(crlf).toMatchObject({ prompt: 'a cat', negativePrompt: 'dog', steps: 5, sampler: 'LMS', seed: -1, width: 64, model: '', extra: {} });
  });

  it('round-trips formatParameters, including quoted values and extra keys', () => {
    const cases: (GenerationParameters & { extra?: Record<string, string> })[] = [
      base,
      { ...base, negativePrompt: '' },
      { ...base, prompt: 'line one\nline two, with: colon', negativePrompt: 'neg one\nneg two', sampler: 'UniPC' },
      { ...base, model: 'weird, "model": name', extra: { 'Model hash': 'abc123', Version: 'sd-web 0.1.0' } },
      { ...base, prompt: 'ünïcödé 猫 🛹', seed: 4294967295, guidanceScale: 0.25 },
      { ...base, prompt: 'a (red:1.3) circle BREAK [blue]', promptSyntax: 'plain' },
      { ...base, promptSyntax: 'a1111' },
      { ...base, vaeDecoder: 'TAESD' },
      { ...base, denoisingStrength: 0.5, vaeEncoder: 'TAESD', vaeDecoder: 'TAESD' },
      { ...base, denoisingStrength: 0.5, vaeEncoder: 'TAESD' },
    ];
    for (const p of cases) {
      expect(parseParameters(formatParameters(p))).toEqual({ promptSyntax: 'a1111', vaeEncoder: 'Full', vaeDecoder: 'Full', ...p, extra: p.extra ?? {} });
    }
  });

  it('records the prompt syntax, and reads a text without it as A1111 syntax', () => {
    expect(formatParameters({ ...base, promptSyntax: 'plain' })).toMatch(/, Model: [^,]+, Prompt syntax: plain$/);
    expect(formatParameters(base)).not.toContain('Prompt syntax');
    expect(parseParameters(formatParameters({ ...base, promptSyntax: 'plain' })).promptSyntax).toBe('plain');
    expect(parseParameters(formatParameters(base)).promptSyntax).toBe('a1111');
    expect(() => parseParameters('p\nSteps: 2, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8, Prompt syntax: nai')).toThrow(
      '"Prompt syntax: nai" is not one of plain, a1111.',
    );
  });

  it('explains what is missing or malformed', () => {
    expect(() => parseParameters('just a prompt')).toThrow(/no "Steps"/);
    expect(() => parseParameters('p\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1')).toThrow(/no "Size"/);
    expect(() => parseParameters('p\nSteps: many, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 1x1')).toThrow(/not a whole number/);
    expect(() => parseParameters('p\nSteps: 2, Sampler: Euler, CFG scale: x, Seed: 1, Size: 1x1')).toThrow(/CFG scale/);
    expect(() => parseParameters('p\nSteps: 2, Sampler: Euler, CFG scale: 7, Seed: 1, Size: big')).toThrow(/WIDTHxHEIGHT/);
  });
});

describe('quote / unquote', () => {
  it('follow A1111 quote(): only values with , : or newline are quoted', () => {
    expect(quoteParameterValue('Euler a')).toBe('Euler a');
    expect(quoteParameterValue('say "hi"')).toBe('say "hi"');
    expect(quoteParameterValue('a, b')).toBe('"a, b"');
    expect(quoteParameterValue('x\ny')).toBe('"x\\ny"');
    expect(unquoteParameterValue('"a, b"')).toBe('a, b');
    expect(unquoteParameterValue('"not json\\')).toBe('"not json\\');
    expect(unquoteParameterValue('plain')).toBe('plain');
  });
});

describe('a prompt line that starts with "Negative prompt:" (issue 12, item 7)', () => {
  it.each([
    ['the whole prompt', 'Negative prompt: a sign that says so', ''],
    ['a later line, with a negative prompt', 'a poster\nNegative prompt: on the poster', 'blurry'],
    ['a later line, no negative prompt', 'a poster\nNegative prompt: on the poster\nin red', ''],
  ])('%s reads back as the prompt, not the negative prompt', (_, prompt, negativePrompt) => {
    const parsed = parseParameters(formatParameters({ ...base, prompt, negativePrompt }));
    expect({ prompt: parsed.prompt, negativePrompt: parsed.negativePrompt }).toEqual({ prompt, negativePrompt });
  });

  it('an empty prompt round-trips', () => {
    expect(parseParameters(formatParameters({ ...base, prompt: '', negativePrompt: '' }))).toMatchObject({ prompt: '', negativePrompt: '', steps: 25 });
  });
});

describe('parseParameters: numbers are decimal only (issue 25, smaller)', () => {
  it.each([
    ['CFG scale: 0x10', /"CFG scale: 0x10" is not a number/],
    ['CFG scale: 1e1', /"CFG scale: 1e1" is not a number/],
  ])('%s is refused', (setting, message) => {
    expect(() => parseParameters(`a cat\nSteps: 20, Sampler: Euler a, ${setting}, Seed: 1, Size: 512x512`)).toThrow(message);
  });
  it('Denoising strength: 5e-1 is refused', () => {
    expect(() => parseParameters('a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 5e-1')).toThrow(
      /"Denoising strength: 5e-1" is not a number/,
    );
  });
});
