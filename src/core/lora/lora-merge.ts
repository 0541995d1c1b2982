/**
 * The merge of LoRAs into one layer's weight: W' = W + Σ_i weight_i · scale_i · up_i @ down_i, as diffusers'
 * fuse_lora computes it (peft's get_delta_weight: B @ A times scaling, for Conv2d B (out, r, 1, 1) times A
 * (r, in, kh, kw) flattened over (in, kh, kw)). W is float32 here, in the layout the graph stores it:
 * 'out_in' (torch's (out, in[, kh, kw]): Conv, Gemm with transB) or 'in_out' (MatMul's transposed Linear
 * weight, (in, out)).
 *
 * Both layouts are one product, W[a, :] += Σ_r X[a, r] · Y[r, :] (out_in: X = up, Y = c · down; in_out:
 * X = downᵀ, Y = c · upᵀ). The JavaScript kernel's inner loop runs along W's row with 8 ranks at a time: W is read and
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

/** w (rows, cols) += x (rows, rank) @ y (rank, cols), all row-major float32: the merge's one matrix product. */
export type AddProducts = (w: Float32Array, x: Float32Array, y: Float32Array, rows: number, cols: number, rank: number) => void | Promise<void>;

/**
 * Adds the contributions to `w` (float32, `outFeatures` x `inFeatures` where inFeatures = in * kh * kw) in
 * place: every contribution's ranks side by side in one product (X (rows, Σr), Y (Σr, cols), each LoRA's
 * weight · scale folded into its rows of Y). `addProducts`: this file's JavaScript kernel unless the engine
 * gives a faster one (onnxruntime's MatMul, runtime/ort-matmul.ts).
 */
export async function addLoraDeltas(
  w: Float32Array,
  layout: WeightLayout,
  outFeatures: number,
  inFeatures: number,
  contributions: readonly LoraContribution[],
  addProducts: AddProducts = addProductsJs,
): Promise<void> {
  const used = contributions.filter((c) => c.weight * c.layer.scale !== 0);
  const total = used.reduce((n, c) => n + c.layer.downShape[0]!, 0);
  if (total === 0) return;
  const [rows, cols] = layout === 'out_in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
  const x = new Float32Array(rows * total);
  const y = new Float32Array(total * cols);
  let at = 0; // this contribution's first rank in X and Y
  for (const { layer, weight } of used) {
    const c = weight * layer.scale;
    const rank = layer.downShape[0]!;
    const { up, down } = layer; // up (out, r), down (r, in)
    if (layout === 'out_in') {
      // X = up, Y = c · down
      for (let o = 0; o < outFeatures; o++) for (let r = 0; r < rank; r++) x[o * total + at + r] = up[o * rank + r]!;
      for (let r = 0; r < rank; r++) for (let i = 0; i < inFeatures; i++) y[(at + r) * cols + i] = down[r * inFeatures + i]! * c;
    } else {
      // X = downᵀ, Y = c · upᵀ
      for (let r = 0; r < rank; r++) for (let i = 0; i < inFeatures; i++) x[i * total + at + r] = down[r * inFeatures + i]!;
      for (let o = 0; o < outFeatures; o++) for (let r = 0; r < rank; r++) y[(at + r) * cols + o] = up[o * rank + r]! * c;
    }
    at += rank;
  }
  await addProducts(w, x, y, rows, cols, total);
}

/** The JavaScript kernel: w (rows, cols) += x (rows, rank) @ y (rank, cols). */
export function addProductsJs(w: Float32Array, x: Float32Array, y: Float32Array, rows: number, cols: number, rank: number): void {
  for (let a = 0; a < rows; a++) {
    const row = a * cols;
    const xa = a * rank;
    let r = 0;
    for (; r + 8 <= rank; r += 8) {
      const [x0, x1, x2, x3, x4, x5, x6, x7] = [
        x[xa + r]!,
        x[xa + r + 1]!,
        x[xa + r + 2]!,
        x[xa + r + 3]!,
        x[xa + r + 4]!,
        x[xa + r + 5]!,
        x[xa + r + 6]!,
        x[xa + r + 7]!,
      ];
      const y0 = r * cols;
      const [y1, y2, y3, y4, y5, y6, y7] = [y0 + cols, y0 + 2 * cols, y0 + 3 * cols, y0 + 4 * cols, y0 + 5 * cols, y0 + 6 * cols, y0 + 7 * cols];
      for (let b = 0; b < cols; b++) {
        w[row + b] +=
          x0 * y[y0 + b]! + x1 * y[y1 + b]! + x2 * y[y2 + b]! + x3 * y[y3 + b]! + x4 * y[y4 + b]! + x5 * y[y5 + b]! + x6 * y[y6 + b]! + x7 * y[y7 + b]!;
      }
    }
    for (; r < rank; r++) {
      const xr = x[xa + r]!;
      const yr = r * cols;
      for (let b = 0; b < cols; b++) w[row + b] += xr * y[yr + b]!;
    }
  }
}
