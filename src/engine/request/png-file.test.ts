/**
 * The PNG's A1111 infotext for the tiny autoencoder (png-file.ts): `VAE Encoder: TAESD` when it encoded the
 * init image (the result's `encoder: 'tiny'`), `VAE Decoder: TAESD` when it decoded the picture, neither for
 * the full VAE (A1111 writes no key for Full and reads an absent one as Full), read back from the file.
 */
import { describe, expect, it } from 'vitest';
import { parseParameters } from '../../core/parameters.js';
import { readPngTextChunks } from '../../core/png.js';
import { encodeImagePng, infotextParameters } from './png-file.js';
import type { ResolvedRequest } from './request.js';

const text2image: ResolvedRequest = {
  prompt: 'a red circle',
  negativePrompt: '',
  promptSyntax: 'a1111',
  scheduler: 'euler',
  numInferenceSteps: 4,
  guidanceScale: 7.5,
  seed: 3,
  width: 64,
  height: 64,
};
const image2image: ResolvedRequest = { ...text2image, strength: 0.6 };

async function parsedPng(request: ResolvedRequest) {
  const png = await encodeImagePng({ rgba: new Uint8ClampedArray(2 * 2 * 4).fill(128), width: 2, height: 2, request, model: 'shapes-sd-fp32' });
  return parseParameters(readPngTextChunks(png).parameters);
}

describe('infotext for the tiny autoencoder', () => {
  it('img2img encoded and decoded by TAESD: `VAE Encoder: TAESD, VAE Decoder: TAESD`, read back as both', async () => {
    const request: ResolvedRequest = { ...image2image, decoder: 'tiny', encoder: 'tiny' };
    expect(infotextParameters(request, 'm')).toMatchObject({ denoisingStrength: 0.6, vaeEncoder: 'TAESD', vaeDecoder: 'TAESD' });
    expect(await parsedPng(request)).toMatchObject({ denoisingStrength: 0.6, vaeEncoder: 'TAESD', vaeDecoder: 'TAESD', extra: {} });
  });

  it('the tiny decoder on a folder without taesd_encoder/ (the full VAE encoded): `VAE Decoder` only, the encoder reads Full', async () => {
    const request: ResolvedRequest = { ...image2image, decoder: 'tiny' };
    expect(infotextParameters(request, 'm')).not.toHaveProperty('vaeEncoder');
    expect(await parsedPng(request)).toMatchObject({ vaeEncoder: 'Full', vaeDecoder: 'TAESD' });
  });

  it('the full VAE, and text to image: no key, both read Full', async () => {
    for (const request of [image2image, text2image, { ...text2image, decoder: 'tiny' as const }]) {
      expect(infotextParameters(request, 'm')).not.toHaveProperty('vaeEncoder');
    }
    expect(await parsedPng(image2image)).toMatchObject({ vaeEncoder: 'Full', vaeDecoder: 'Full' });
  });
});
