/**
 * The merge of LoRAs into one layer's weight: W' = W + Σ_i weight_i · scale_i · up_i @ down_i, as diffusers'
 * fuse_lora computes it (peft's get_delta_weight: B @ A times scaling, for Conv2d B (out, r, 1, 1) times A
 * (r, in, kh, kw) flattened over (in, kh, kw)). W is float32 here, in the layout the graph stores it:
 * 'out_in' (torch's (out, in[, kh, kw]): Conv, Gemm with transB) or 'in_out' (MatMul's transposed Linear
 * weight, (in, out)).
 *
 * Both layouts are one kernel, W[a, :] += Σ_r X[a, r] · Y[r, :] (out_in: X = up, Y = c · down; in_out:
 * X = downᵀ, Y = c · upᵀ), whose inner loop runs along W's row with 8 ranks at a time: W is read and
 * written once per 8 ranks, not once per rank (about 2x faster than the rank-by-rank loop on an SD
 * feed-forward layer, (5120, 1280) at rank 64, on a loaded 2-core machine). The 8 products are summed in
 * float64 (JavaScript numbers) and W rounded to float32 once per 8 ranks.
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
      const y = new Float32Array(down.length);
      for (let k = 0; k < y.length; k++) y[k] = down[k]! * c;
      addProducts(w, up, y, outFeatures, inFeatures, rank);
    } else {
      const x = new Float32Array(inFeatures * rank); // downᵀ (in, r)
      for (let r = 0; r < rank; r++) for (let i = 0; i < inFeatures; i++) x[i * rank + r] = down[r * inFeatures + i]!;
      const y = new Float32Array(rank * outFeatures); // c · upᵀ (r, out)
      for (let o = 0; o < outFeatures; o++) for (let r = 0; r < rank; r++) y[r * outFeatures + o] = up[o * rank + r]! * c;
      addProducts(w, x, y, inFeatures, outFeatures, rank);
    }
  }
}

/** w (rows, cols) += x (rows, rank) @ y (rank, cols). */
function addProducts(w: Float32Array, x: Float32Array, y: Float32Array, rows: number, cols: number, rank: number): void {
  for (let a = 0; a < rows; a++) {
    const row = a * cols;
    const xa = a * rank;
    let r = 0;
    for (; r + 8 <= rank; r += 8) {
      const [x0, x1, x2, x3, x4, x5, x6, x7] = [x[xa + r]!, x[xa + r + 1]!, x[xa + r + 2]!, x[xa + r + 3]!, x[xa + r + 4]!, x[xa + r + 5]!, x[xa + r + 6]!, x[xa + r + 7]!];
      const y0 = r * cols;
      const [y1, y2, y3, y4, y5, y6, y7] = [y0 + cols, y0 + 2 * cols, y0 + 3 * cols, y0 + 4 * cols, y0 + 5 * cols, y0 + 6 * cols, y0 + 7 * cols];
      for (let b = 0; b < cols; b++) {
        w[row + b] += x0 * y[y0 + b]! + x1 * y[y1 + b]! + x2 * y[y2 + b]! + x3 * y[y3 + b]! + x4 * y[y4 + b]! + x5 * y[y5 + b]! + x6 * y[y6 + b]! + x7 * y[y7 + b]!;
      }
    }
    for (; r < rank; r++) {
      const xr = x[xa + r]!;
      const yr = r * cols;
      for (let b = 0; b < cols; b++) w[row + b] += xr * y[yr + b]!;
    }
  }
}
