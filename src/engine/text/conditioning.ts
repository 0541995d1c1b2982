/**
 * A prompt's conditioning for the UNet, as AUTOMATIC1111 computes it (modules/sd_hijack_clip.py
 * `process_tokens` with emphasis "Original" from modules/sd_emphasis.py, CLIP skip 1):
 *   each 77-token chunk through the text encoder (last_hidden_state, (1, 77, C)),
 *   z = z * weight[token], then z = z * (mean_before / mean_after) (means over the whole chunk),
 *   chunks concatenated along the sequence: (1, 77k, C).
 * The plain syntax is one chunk with all weights 1, which leaves z exactly as the encoder returned it.
 * Arithmetic is float32 like torch's (weights, products and the ratio rounded to float32), and the means
 * are summed in torch's order (core/torch-sum.ts): the mean of CLIP's output is often ~1e-5, so the
 * ratio amplifies any other rounding.
 */
import { InvalidRequestError } from '../../core/errors.js';
import type { ChunkTokens } from '../../core/prompt-chunks.js';
import { torchMean } from '../../core/torch-sum.js';

export interface Conditioning {
  /** (1, sequenceLength, width), row-major. */
  data: Float32Array;
  /** 77 x chunks. */
  sequenceLength: number;
  /** Hidden size C (768 for SD v1, 64 for shapes-sd). */
  width: number;
}

/** Runs the text encoder on one chunk's 77 ids; returns last_hidden_state (1, 77, C). */
export type EncodeChunk = (ids: Int32Array) => Promise<Float32Array>;

export async function encodeChunks(chunks: readonly ChunkTokens[], encodeChunk: EncodeChunk): Promise<Conditioning> {
  const encoded: Float32Array[] = [];
  for (const chunk of chunks) encoded.push(applyEmphasis(await encodeChunk(Int32Array.from(chunk.ids)), chunk.weights));
  const sequenceLength = chunks.reduce((n, chunk) => n + chunk.ids.length, 0);
  const data = new Float32Array(encoded.reduce((n, z) => n + z.length, 0));
  let offset = 0;
  for (const z of encoded) {
    data.set(z, offset);
    offset += z.length;
  }
  return { data, sequenceLength, width: data.length / sequenceLength };
}

/** Emphasis "Original" on one chunk z (tokens x C): scale each token's row by its weight, then restore the mean. */
export function applyEmphasis(z: Float32Array, weights: readonly number[]): Float32Array {
  if (weights.every((w) => w === 1)) return z; // z * 1 * (mean / mean) is z exactly
  const width = z.length / weights.length;
  const originalMean = torchMean(z);
  const weighted = new Float32Array(z.length);
  for (let t = 0; t < weights.length; t++) {
    const w = Math.fround(weights[t]); // torch.tensor(multipliers) is float32
    for (let c = 0; c < width; c++) weighted[t * width + c] = z[t * width + c] * w;
  }
  const ratio = Math.fround(originalMean / torchMean(weighted));
  for (let i = 0; i < weighted.length; i++) weighted[i] = weighted[i] * ratio;
  // Finite weights can still overflow float32 here (a huge weight, or weights whose mean is ~0): that is
  // the prompt's doing, not a damaged text encoder, so say so (when the encoder's own output was finite).
  if (!weighted.every(Number.isFinite) && z.every(Number.isFinite)) {
    const largest = weights.reduce((a, w) => (Math.abs(w) > Math.abs(a) ? w : a), 1);
    throw new InvalidRequestError(
      `The prompt's emphasis weights (up to ${largest}) make the text embeddings overflow to Inf/NaN: use smaller (text:weight) values or fewer brackets.`,
    );
  }
  return weighted;
}
