/**
 * The guidance-scale embedding an LCM-distilled UNet takes as `timestep_cond` (its
 * `time_cond_proj_dim` input): sinusoidal features of w * 1000, half sines then half cosines,
 * in float32 as torch computes them:
 *   emb_k = exp(-k log(10000) / (d/2 - 1)),  k < d/2;   out = [sin(1000 w emb), cos(1000 w emb)] (+ a 0 for odd d)
 * diffusers' pipelines pass w = guidance_scale - 1.
 *
 * Source: diffusers `LatentConsistencyModelPipeline.get_guidance_scale_embedding`
 * (src/diffusers/pipelines/latent_consistency_models/pipeline_latent_consistency_text2img.py), after
 * VDM (github.com/google-research/vdm, model_vdm.py).
 */
const f32 = Math.fround;

/** (1, embeddingDim) float32 for one guidance weight w. */
export function guidanceScaleEmbedding(w: number, embeddingDim: number): Float32Array {
  if (!Number.isInteger(embeddingDim) || embeddingDim < 4) throw new RangeError(`embedding dim must be an integer >= 4 (got ${embeddingDim}).`);
  const half = Math.floor(embeddingDim / 2);
  const scaled = f32(f32(w) * 1000);
  const rate = f32(f32(Math.log(10000)) / (half - 1)); // torch.log(tensor(10000.)) / (half_dim - 1)
  const out = new Float32Array(embeddingDim);
  for (let k = 0; k < half; k++) {
    const x = f32(scaled * f32(Math.exp(f32(k * -rate))));
    out[k] = Math.sin(x);
    out[half + k] = Math.cos(x);
  }
  return out;
}
