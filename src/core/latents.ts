/** Element-wise latent maths used by the pipeline (float32 like diffusers' tensors). */

/** diffusers: noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond). */
export function classifierFreeGuidance(uncond: Float32Array, text: Float32Array, guidanceScale: number): Float32Array {
  const out = new Float32Array(text.length);
  for (let i = 0; i < out.length; i++) {
    const diff = Math.fround(text[i] - uncond[i]);
    out[i] = uncond[i] + Math.fround(guidanceScale * diff);
  }
  return out;
}

export function scale(values: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(values.length);
  const f = Math.fround(factor); // torch casts a Python scalar to the tensor dtype
  for (let i = 0; i < out.length; i++) out[i] = values[i] * f;
  return out;
}

/** values / divisor, as torch divides (not a multiplication by the reciprocal). */
export function divide(values: Float32Array, divisor: number): Float32Array {
  const d = Math.fround(divisor);
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i] / d;
  return out;
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function hasNonFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return true;
  return false;
}
