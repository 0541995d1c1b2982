/**
 * Where Gaussian noise comes from. The engine never calls Math.random: initial latents and the
 * ancestral samplers' per-step noise are drawn from one NoiseSource, like diffusers draws both from
 * one `torch.Generator`. `TorchGenerator` (torch-generator.ts) is the implementation that matches
 * `torch.randn(shape, generator=torch.Generator().manual_seed(seed))` on CPU.
 */
export interface NoiseSource {
  /** N(0,1) samples, row-major, as torch.randn(shape) would return them. */
  randn(shape: readonly number[]): Float32Array;
}
