/**
 * VAE output to pixels, exactly as diffusers post-processes it (VaeImageProcessor, image_processor.py):
 * `denormalize`: `(x / 2 + 0.5).clamp(0, 1)` in float32 -> what `output_type="np"` returns, then
 * `numpy_to_pil`: `(images * 255).round().astype("uint8")`, where numpy rounds half to even.
 * Layouts: the VAE gives NCHW (1, 3, H, W); canvases want RGBA8 row-major (H, W, 4), alpha 255.
 */

const f32 = Math.fround;

/** (1, 3, H, W) in [-1, 1] -> same layout in [0, 1] (diffusers' output_type="np", before quantisation). */
export function vaeOutputToUnit(nchw: Float32Array): Float32Array {
  const out = new Float32Array(nchw.length);
  for (let i = 0; i < nchw.length; i++) out[i] = Math.min(1, Math.max(0, f32(f32(nchw[i] / 2) + 0.5)));
  return out;
}

/** (1, 3, H, W) in [-1, 1] (the VAE decoder's `sample`) -> RGBA8 (H, W, 4). */
export function imageToRgba(nchw: Float32Array, width: number, height: number): Uint8ClampedArray {
  return unitToRgba(vaeOutputToUnit(checkImage(nchw, width, height)), width, height);
}

/** (1, 3, H, W) in [0, 1] -> RGBA8 (H, W, 4) with numpy's `(x * 255).round()` in float32. */
export function unitToRgba(nchw: Float32Array, width: number, height: number): Uint8ClampedArray {
  checkImage(nchw, width, height);
  const plane = width * height;
  const out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = roundHalfEven(f32(nchw[c * plane + i] * 255));
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** numpy.round / IEEE roundTiesToEven (Math.round rounds ties up). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkImage(nchw: Float32Array, width: number, height: number): Float32Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || nchw.length !== 3 * width * height) {
    throw new RangeError(`Expected a (1, 3, ${height}, ${width}) image of ${3 * width * height} floats, got ${nchw.length}.`);
  }
  return nchw;
}
