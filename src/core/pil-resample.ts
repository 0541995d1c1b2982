/**
 * Pillow's `Image.resize(size, resample)` for 8-bit RGB pictures, bit for bit: ImagingResample in
 * Pillow's src/libImaging/Resample.c (12.3.0), the convolution resampler (box, bilinear, hamming,
 * bicubic with a = -0.5, lanczos).
 *
 *   - coefficients per output pixel (precompute_coeffs): centre = (x + 0.5) * scale, support =
 *     filter support * max(scale, 1) (the kernel widens when downscaling), bounds rounded with
 *     (int)(v + 0.5), weights filter((x + xmin - centre + 0.5) / max(scale, 1)) normalised to sum 1 in
 *     double precision;
 *   - fixed point: each weight as (int)(±0.5 + w * 2^22) (PRECISION_BITS = 32 - 8 - 2);
 *   - horizontal pass, then vertical pass, each rounding (start at 2^21) and clipping to 0..255
 *     (clip8: sum >> 22, clamped);
 *   - a pass runs only when that axis changes size.
 * Pillow's NEAREST (0) is another code path and is not implemented here.
 */

const PRECISION_BITS = 32 - 8 - 2;

interface Filter {
  support: number;
  weight: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's filters by its Resampling number (1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING). */
const FILTERS: Record<number, Filter> = {
  4: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  2: { support: 1, weight: (x) => ((x = Math.abs(x)) < 1 ? 1 - x : 0) },
  5: {
    support: 1,
    weight: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      const px = x * Math.PI;
      // 0.54f and 0.46f are C float literals promoted to double
      return (Math.sin(px) / px) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(px));
    },
  },
  3: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  1: { support: 3, weight: (x) => (-3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Whether `resample` is one of the convolution filters implemented here. */
export function isSupportedResample(resample: number): boolean {
  return resample in FILTERS;
}

interface Coefficients {
  ksize: number;
  /** Per output pixel: first input index and count. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  weights: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for an axis of inSize -> outSize (box 0..inSize). */
function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const invFilterscale = 1 / filterscale;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * invFilterscale);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** clip8: the fixed-point sum to 0..255. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/**
 * Resizes an interleaved 8-bit picture of `channels` channels (H, W, C) to (outHeight, outWidth, C) as
 * Pillow does with the given resample filter (3: bicubic, CLIPImageProcessor's).
 */
export function pilResize(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  resample: number,
): Uint8Array {
  const filter = FILTERS[resample];
  if (!filter) throw new RangeError(`Pillow resample filter ${resample} is not implemented (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming are)`);
  let src = Uint8Array.from(pixels);
  let w = width;
  if (outWidth !== width) {
    const { ksize, bounds, weights } = coefficients(width, outWidth, filter);
    const out = new Uint8Array(outWidth * height * channels);
    for (let y = 0; y < height; y++) {
      const row = y * width * channels;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = bounds[xx * 2]!;
        const xmax = bounds[xx * 2 + 1]!;
        for (let c = 0; c < channels; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < xmax; x++) ss += src[row + (x + xmin) * channels + c]! * weights[xx * ksize + x]!;
          out[(y * outWidth + xx) * channels + c] = clip8(ss);
        }
      }
    }
    src = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const { ksize, bounds, weights } = coefficients(height, outHeight, filter);
    const out = new Uint8Array(w * outHeight * channels);
    for (let yy = 0; yy < outHeight; yy++) {
      const ymin = bounds[yy * 2]!;
      const ymax = bounds[yy * 2 + 1]!;
      for (let i = 0; i < w * channels; i++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < ymax; y++) ss += src[(y + ymin) * w * channels + i]! * weights[yy * ksize + y]!;
        out[yy * w * channels + i] = clip8(ss);
      }
    }
    src = out;
  }
  return src;
}
