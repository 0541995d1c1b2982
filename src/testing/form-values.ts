/**
 * A complete, valid set of the app's form values (src/app/form-values.ts: FormValues) for tests: the bundled
 * shapes-sd, txt2img at 128x128, PNDM 20 steps, CFG 7.5, a random seed; tests spread it and change fields.
 */
import type { FormValues } from '../app/form-values.js';

export const VALID_FORM_VALUES: FormValues = {
  modelId: 'shapes-sd',
  customUrl: '',
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  promptSyntax: 'a1111',
  scheduler: 'pndm',
  steps: 20,
  guidanceScale: 7.5,
  eta: 0,
  timestepSpacing: '',
  seed: -1,
  width: 128,
  height: 128,
  batchCount: 1,
  vaeDecodeEvery: 0,
  preview: 'tiny',
  decoder: 'full',
  mode: 'txt2img',
  strength: 0.75,
};
