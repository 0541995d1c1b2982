/**
 * The merge of LoRAs into one layer's weight: W' = W + Σ_i weight_i · scale_i · up_i @ down_i, as diffusers'
 * fuse_lora computes it (peft's get_delta_weight: B @ A times scaling, for Conv2d B (out, r, 1, 1) times A
 * (r, in, kh, kw) flattened over (in, kh, kw)). W is float32 here, in the layout the graph stores it:
 * 'out_in' (torch's (out, in[, kh, kw]): Conv, Gemm with transB) or 'in_out' (MatMul's transposed Linear
 * weight, (in, out)). The inner loops run along W's rows, so both layouts read and write memory in order.
 */
import type { LoraLayer } from './lora-file.js';
import type { WeightLayout } from '../onnx/module-weights.js';

export interface LoraContribution {
  layer: LoraLayer;
  /** The user's weight for this LoRA (1 by default). */
  weight: number;
}

/** Adds the contributions to `w` (float32, `outFeatures` x `inFeatures` where inFeatures = in * kh * kw) in place. */
export function addLoraDeltas(w: Float32Array, layout: WeightLayout, outFeatures: number, inFeatures: number, contributions: readonly LoraContribution[]): void {
  for (const { layer, weight } of contributions) {
    const c = weight * layer.scale;
    if (c === 0) continue;
    const rank = layer.downShape[0]!;
    const { up, down } = layer; // up (out, r), down (r, in)
    if (layout === 'out_in') {
      for (let o = 0; o < outFeatures; o++) {
        const row = o * inFeatures;
        for (let r = 0; r < rank; r++) {
          const u = up[o * rank + r]! * c;
          const d = r * inFeatures;
          for (let i = 0; i < inFeatures; i++) w[row + i] += u * down[d + i]!;
        }
      }
    } else {
      // (in, out): row i of W gets Σ_r down[r, i] · up[:, r]; up transposed once to (r, out) for in-order reads
      const upT = new Float32Array(rank * outFeatures);
      for (let o = 0; o < outFeatures; o++) for (let r = 0; r < rank; r++) upT[r * outFeatures + o] = up[o * rank + r]! * c;
      for (let i = 0; i < inFeatures; i++) {
        const row = i * outFeatures;
        for (let r = 0; r < rank; r++) {
          const d = down[r * inFeatures + i]!;
          if (d === 0) continue;
          const u = r * outFeatures;
          for (let o = 0; o < outFeatures; o++) w[row + o] += d * upT[u + o]!;
        }
      }
    }
  }
}
