import { describe, expect, it } from 'vitest';
import { ModelFileMissingError } from '../../core/errors.js';
import { checkListingTakesImage, imageInputRefusal, VAE_ENCODER_FILE } from './model-parts.js';

const FILES: [string, number | null][] = [
  ['text_encoder/model.onnx', 100],
  ['unet/model.onnx', 200],
  ['vae_decoder/model.onnx', 50],
];

describe('imageInputRefusal / checkListingTakesImage', () => {
  it('accepts a folder that lists vae_encoder/model.onnx, whatever its size says', () => {
    expect(imageInputRefusal('m', true)).toBeNull();
    expect(() => checkListingTakesImage({ name: 'm', files: new Map([...FILES, [VAE_ENCODER_FILE, null]]) })).not.toThrow();
  });

  it('refuses a folder without it, naming the folder and what to do', () => {
    const error = imageInputRefusal('shapes-sd-no-encoder', false);
    expect(error).toBeInstanceOf(ModelFileMissingError);
    expect(error?.message).toBe(
      '"shapes-sd-no-encoder" has no vae_encoder/model.onnx, which img2img and inpainting need: use a model folder exported with its VAE encoder.',
    );
    expect(() => checkListingTakesImage({ name: 'x', files: new Map(FILES) })).toThrow(
      new ModelFileMissingError('"x" has no vae_encoder/model.onnx, which img2img and inpainting need: use a model folder exported with its VAE encoder.'),
    );
  });

  it('does not take a file elsewhere or a config of the encoder for the encoder', () => {
    const files = new Map<string, number | null>([...FILES, ['vae_encoder/config.json', 10], ['other/vae_encoder/model.onnx', 5]]);
    expect(() => checkListingTakesImage({ name: 'x', files })).toThrow(ModelFileMissingError);
  });
});
