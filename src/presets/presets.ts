/**
 * The model picker's presets. The bundled demo (shapes-sd, served from our own origin and precached)
 * is the default; Stable Diffusion v1.4 is the real model, loaded by URL from Hugging Face.
 */
import type { ModelPreset } from './model-preset.js';

export type { ModelPreset };

/** Example prompts from shapes-sd's shapes_info.json (the 16 it was evaluated on). */
export const SHAPES_EXAMPLE_PROMPTS = [
  'a red circle on a blue background',
  'a green square on a white background',
  'a yellow triangle on a black background',
  'a blue cross on a yellow background',
  'a white star on a purple background',
  'a purple circle on an orange background',
  'an orange square on a green background',
  'a black triangle on a white background',
  'a red square on the left, on a yellow background',
  'a blue circle on the right, on a white background',
  'a green triangle at the top, on a black background',
  'a yellow circle at the bottom, on a purple background',
  'a photo of a white cross on a red background',
  'a purple square on a green background',
  'a black circle on an orange background',
  'a red star on a white background',
];

/** `baseUrl` is the app's base (import.meta.env.BASE_URL), resolved against the page. */
export function presets(baseUrl: string): ModelPreset[] {
  return [
    {
      id: 'shapes-sd',
      label: 'shapes-sd (bundled demo)',
      description:
        'A tiny model with Stable Diffusion v1\'s architecture, trained on pictures of coloured shapes ("a blue cross on a yellow background"). It ships with the app and works offline. For real pictures load Stable Diffusion v1.4.',
      urls: { fp16: `${baseUrl}models/shapes-sd-fp16/`, fp32: `${baseUrl}models/shapes-sd-fp32/` },
      examplePrompts: SHAPES_EXAMPLE_PROMPTS,
      recommended: { scheduler: 'pndm', numInferenceSteps: 20, guidanceScale: 7.5, width: 128, height: 128 },
      sizeBytes: { fp16: 19_159_137, fp32: 32_246_366 },
      unetDownsamplings: 2,
    },
    {
      id: 'sd-v1-4',
      label: 'Stable Diffusion v1.4 (ONNX, Hugging Face)',
      description:
        'CompVis/stable-diffusion-v1-4, the ONNX export on its "onnx" branch. That export is fp32: its UNet weights (3.4 GB) exceed what a browser can load as one buffer, and the engine says so before downloading. Convert it to fp16 (about 2 GB in all) with tools/prepare_model.py, host the folder (any static host with CORS, or a Hugging Face repository) and load it by URL.',
      urls: { fp32: 'https://huggingface.co/CompVis/stable-diffusion-v1-4/resolve/onnx/' },
      examplePrompts: ['a photograph of an astronaut riding a horse', 'a watercolor painting of a lighthouse at dawn'],
      recommended: { scheduler: 'pndm', numInferenceSteps: 25, guidanceScale: 7.5, width: 512, height: 512 },
      sizeBytes: { fp32: 4_270_000_000 },
      unetDownsamplings: 3,
    },
  ];
}
