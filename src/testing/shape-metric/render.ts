/**
 * Drawing a shapes-sd picture: fixtures/shapes-refs/train_shapes.py `shape_mask` and `render` (anti-aliased by
 * supersampling) and `_SHAPE_BOX`, emulated in float32 (Math.fround) op by op as torch ran them on
 * CUDA, where `x / scalar` is computed as `x * (1 / scalar)` (aten's div_true_kernel_cuda) and
 * `remainder` is fmod-based. Only the star's atan2/cos/sin may differ from CUDA's by an ulp, which
 * moves a sub-sample only when it lies within ~1e-5 px of an edge.
 */
import { SHAPE_NAMES, type ShapeName } from './vocabulary.js';

export type ImageLayout = 'hwc' | 'nchw';

/** render()'s supersampling factor: SS x SS sub-samples per pixel, averaged (anti-aliased edges). */
export const SUPERSAMPLING = 2;

const f = Math.fround;

/** train_shapes.py shape_mask(s, dx, dy, r) for one sub-sample, in float32 as torch computed it. */
function insideShape(shape: number, dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case 0: // circle
      return f(f(dx * dx) + f(dy * dy)) <= f(r * r);
    case 1: {
      // square, half side 0.85 r
      const a = f(f(0.85) * r);
      return Math.abs(dx) <= a && Math.abs(dy) <= a;
    }
    case 2: // triangle pointing up: apex (0, -r), base y = +0.75 r, half-width 0.9 r at the base
      return dy <= f(f(0.75) * r) && Math.abs(dx) <= f(f(f(0.9) * f(dy + r)) * TRIANGLE_INV_175);
    case 3: {
      // plus-shaped cross, arm half-width 0.3 r
      const w = f(f(0.3) * r);
      const ax = Math.abs(dx);
      const ay = Math.abs(dy);
      return (ax <= w && ay <= r) || (ay <= w && ax <= r);
    }
    case 4: {
      // five-pointed star, one point up: outer radius R = 1.1 r, inner 0.45 R
      const R = f(f(1.1) * r);
      const Ri = f(f(0.45) * R);
      const rho = f(Math.sqrt(f(f(dx * dx) + f(dy * dy))));
      const th = f(Math.atan2(dx, -dy));
      const a = Math.abs(f(remainderF32(f(th + STAR_HALF_K), STAR_K) - STAR_HALF_K));
      const px = f(rho * f(Math.cos(a)));
      const py = f(rho * f(Math.sin(a)));
      const qx = f(Ri * STAR_COS);
      const qy = f(Ri * STAR_SIN);
      return f(f(f(qx - R) * py) - f(qy * f(px - R))) >= 0;
    }
    default:
      throw new RangeError(`unknown shape index ${shape}`);
  }
}

/** `x / 1.75` on CUDA: multiplication by the float32 reciprocal of the (float32) scalar. */
const TRIANGLE_INV_175 = f(1 / f(1.75));
const K = (2 * Math.PI) / 5;
const STAR_K = f(K);
const STAR_HALF_K = f(K / 2);
const STAR_COS = f(Math.cos(K / 2));
const STAR_SIN = f(Math.sin(K / 2));

/** torch.remainder for float32 (fmod, then moved into the divisor's sign). */
function remainderF32(x: number, m: number): number {
  const mod = x % m; // exact, like fmod
  return mod !== 0 && mod < 0 !== m < 0 ? f(mod + m) : mod;
}

/**
 * train_shapes.py render()'s coverage `m`: the fraction (0, 1/4, ..., 1) of each pixel's SS x SS sub-samples
 * inside the shape centred at (cx, cy) with size r (pixels), as (size, size) row-major. cx, cy, r are float32s.
 */
export function shapeCoverage(shape: ShapeName | number, cx: number, cy: number, r: number, size = 128): Float32Array {
  const s = typeof shape === 'number' ? shape : SHAPE_NAMES.indexOf(shape);
  const [fcx, fcy, fr] = [f(cx), f(cy), f(r)];
  const n = size * SUPERSAMPLING;
  const coverage = new Float32Array(size * size);
  const weight = 1 / (SUPERSAMPLING * SUPERSAMPLING);
  // sub-sample centres (k + 0.5) / SS, minus the centre, in float32
  const dxs = Float32Array.from({ length: n }, (_, i) => (i + 0.5) / SUPERSAMPLING - fcx);
  for (let j = 0; j < n; j++) {
    const dy = f((j + 0.5) / SUPERSAMPLING - fcy);
    const row = Math.floor(j / SUPERSAMPLING) * size;
    for (let i = 0; i < n; i++) {
      if (insideShape(s, dxs[i], dy, fr)) coverage[row + Math.floor(i / SUPERSAMPLING)] += weight;
    }
  }
  return coverage;
}

export interface ShapeImage {
  shape: ShapeName;
  /** RGB in [0, 1]. */
  color: readonly [number, number, number];
  background: readonly [number, number, number];
  cx: number;
  cy: number;
  r: number;
}

/** train_shapes.py render(): `bg * (1 - m) + col * m`, float32, as (size, size, 3) HWC or (1, 3, size, size) NCHW. */
export function renderShape(picture: ShapeImage, layout: ImageLayout = 'hwc', size = 128): Float32Array {
  const m = shapeCoverage(picture.shape, picture.cx, picture.cy, picture.r, size);
  const out = new Float32Array(size * size * 3);
  const plane = size * size;
  for (let p = 0; p < plane; p++) {
    const inv = f(1 - m[p]);
    for (let c = 0; c < 3; c++) {
      const v = f(f(f(picture.background[c]) * inv) + f(f(picture.color[c]) * m[p]));
      out[layout === 'hwc' ? p * 3 + c : c * plane + p] = v;
    }
  }
  return out;
}

export type Box = readonly [x0: number, x1: number, y0: number, y1: number];

let boxCache: Box[] | undefined;
/**
 * train_shapes.py `_SHAPE_BOX`: each shape's box ([x0, x1) x [y0, y1) of its `> 0.5` mask) rendered at centre
 * (64, 64) with r = 40, relative to the centre in units of r. analyze() fits each shape to a mask's box with it.
 */
export function shapeBoxes(): readonly Box[] {
  boxCache ??= SHAPE_NAMES.map((_, s): Box => {
    const m = shapeCoverage(s, 64, 64, 40, 128);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let p = 0; p < m.length; p++) {
      if (!(m[p] > 0.5)) continue;
      const x = p % 128;
      const y = (p - x) / 128;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    }
    return [(x0 - 64) / 40, (x1 + 1 - 64) / 40, (y0 - 64) / 40, (y1 + 1 - 64) / 40];
  });
  return boxCache;
}
