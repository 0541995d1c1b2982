/**
 * The model picker's presets. The bundled demo (shapes-sd, served from our own origin and precached)
 * is the default; Stable Diffusion v1.4 is the real model, from a folder the user makes and hosts (its URL).
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
      sizeBytes: { fp16: 19_402_728, fp32: 32_489_957 }, // with taesd_decoder/model.onnx (243,591 bytes)
      unetDownsamplings: 2,
      tinyDecoder: true, // taesd_decoder/, trained by tools/train_tiny_decoder.py
    },
    {
      id: 'sd-v1-4',
      label: 'Stable Diffusion v1.4 (your folder, by URL)',
      description:
        'CompVis/stable-diffusion-v1-4: 512x512 pictures of anything. Its weights are licensed (CreativeML OpenRAIL-M) and not bundled: ' +
        'make a web folder from the diffusers checkpoint with tools/prepare_model.py (fp16 for WebGPU with shader-f16, about 2.1 GB; ' +
        '--target portable or --fp32 for GPUs without it, about 4.3 GB, weights split into files under 2 GB), host it with CORS (a static server or a Hugging Face repository) and paste its URL. ' +
        'CompVis\' own ONNX export (its "onnx" branch) keeps the fp32 UNet in one 3.4 GB file, more than a browser can hold in one buffer, so it cannot be used directly.',
      urls: {},
      askUrl: 'URL of your Stable Diffusion v1.4 folder (made with tools/prepare_model.py; see README "Stable Diffusion v1.4 in the browser").',
      examplePrompts: ['a photograph of an astronaut riding a horse', 'a watercolor painting of a lighthouse at dawn'],
      recommended: { scheduler: 'pndm', numInferenceSteps: 25, guidanceScale: 7.5, width: 512, height: 512 },
      sizeBytes: { fp16: 2_130_000_000, fp32: 4_265_000_000 },
      unetDownsamplings: 3,
    },
  ];
}
