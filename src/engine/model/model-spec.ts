/**
 * Which model to load: a folder in diffusers' ONNX layout at a URL (our own origin for the bundled
 * demo, a Hugging Face `.../resolve/main/` URL, any static host). A spec may offer an fp16 and an
 * fp32 variant: fp16 needs WebGPU's `shader-f16`; software WebGPU and wasm get fp32. What a picker
 * shows about a model (labels, example prompts) belongs to the surfaces (src/presets).
 */
export interface ModelSpec {
  /** Stable id for the UI and the weight store (e.g. "shapes-sd"). */
  id: string;
  /** Base URLs of the model folder (ending with "/"), by precision. At least one (a preset with `askUrl` has none until the user gives its folder). */
  urls: { fp16?: string; fp32?: string };
  /** Approximate download size in bytes by precision, when known: on a software WebGPU adapter it decides the backend (backend-choice.ts). */
  sizeBytes?: { fp16?: number; fp32?: number };
}

export type Precision = 'fp16' | 'fp32';

/**
 * fp16 when the backend can run it (WebGPU with shader-f16), else fp32 when offered, else what there
 * is; for a preset whose folder the user gives (no URLs yet), the precision this backend needs.
 */
export function choosePrecision(spec: ModelSpec, canRunFp16: boolean): Precision {
  if (canRunFp16 && spec.urls.fp16) return 'fp16';
  if (spec.urls.fp32) return 'fp32';
  if (spec.urls.fp16) return 'fp16';
  return canRunFp16 ? 'fp16' : 'fp32';
}
