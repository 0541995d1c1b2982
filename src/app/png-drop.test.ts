/**
 * Reading parameters from a dropped PNG (parametersFromPng): made by encodePng, as the app saves.
 */
import { describe, expect, it } from 'vitest';
import { formatParameters } from '../core/parameters.js';
import { encodePng, storedDeflate } from '../core/png.js';
import { MAX_PARAMETERS_CHARS, parametersFromPng } from './png-drop.js';

const pixel = new Uint8Array([10, 20, 30, 255]);
const png = (parameters?: string) => encodePng(pixel, 1, 1, { deflate: storedDeflate, ...(parameters === undefined ? {} : { parameters }) });
const settings = { negativePrompt: '', steps: 20, sampler: 'Euler a', guidanceScale: 7, seed: 3, width: 512, height: 512, model: 'shapes-sd' };

describe('parametersFromPng', () => {
  it('reads the parameters the app wrote', async () => {
    const text = formatParameters({ ...settings, prompt: 'a red circle' });
    expect(parametersFromPng(await png(text))).toMatchObject({ ...settings, prompt: 'a red circle' });
  });

  it('reads a long prompt up to the bound and refuses a longer text in words, without parsing it', async () => {
    const long = 'a lighthouse in a storm '.repeat(Math.floor((MAX_PARAMETERS_CHARS - 200) / 24)).trim();
    expect(parametersFromPng(await png(formatParameters({ ...settings, prompt: long }))).prompt).toBe(long);
    const crafted = 'word '.repeat(MAX_PARAMETERS_CHARS / 5 + 1); // one line, no commas (issue 12 item 6)
    await expect(png(crafted).then(parametersFromPng)).rejects.toThrow(/are 200,005 characters long, more than the 200,000 this app reads/);
  });

  it('says so when the PNG has no parameters', async () => {
    expect(() => parametersFromPng(new Uint8Array(0))).toThrow();
    await expect(png().then(parametersFromPng)).rejects.toThrow(/no generation parameters/);
  });
});
