/**
 * fixtures/tiny-sd-fp32 as the weight-store tests read it (src/store/*.test.ts in Node, e2e/store.e2e.ts in
 * Chromium): its folder, the files a download stores, and their bytes and SHA-256 read from disk.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TINY_SD_FP32 = fileURLToPath(new URL('../../fixtures/tiny-sd-fp32/', import.meta.url));

/** Every file of the folder a download stores, sorted. */
export const TINY_SD_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/model.onnx',
  'tokenizer/merges.txt',
  'tokenizer/tokenizer.json',
  'tokenizer/tokenizer_config.json',
  'tokenizer/vocab.json',
  'unet/model.onnx',
  'unet/weights.pb',
  'vae_decoder/model.onnx',
  'vae_encoder/model.onnx',
];

/** The UNet's external weights, the one file larger than a chunk. */
export const TINY_SD_WEIGHTS = 'unet/weights.pb';

export const tinySdFile = (path: string) => new Uint8Array(readFileSync(TINY_SD_FP32 + path));
export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
