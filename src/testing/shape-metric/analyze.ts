/**
 * Classifying a picture: fixtures/shapes-refs/train_shapes.py `nearest` and `analyze`, so that the engine's pictures are
 * judged exactly as diffusers' pictures were in fixtures/shapes-refs/metrics.json.
 *
 *   1. background = the palette colour nearest to most pixels; its colour = the per-channel median of those pixels
 *   2. foreground mask = pixels farther than 55 (0-255 RGB, Euclidean) from that median, reduced to its largest
 *      4-connected component (scipy.ndimage.label's default structure)
 *   3. shape colour = palette colour nearest the median of the mask eroded once by the 3x3 cross
 *      (scipy.ndimage.binary_erosion defaults: the border counts as background), or of the mask if that leaves < 10
 *   4. shape = the shape whose render, scaled and moved to the mask's bounding box, has the highest IoU with it
 *
 * Precision follows the reference, so borderline pixels fall the same way: pixels are float32 (numpy), palette
 * distances float64 (numpy upcasts against the float64 palette), distances to the background median float32.
 */
import { shapeBoxes, shapeCoverage, type ImageLayout } from './render.js';
import { COLOR_NAMES, PALETTE_255, SHAPE_NAMES, type ColorName, type ShapeName } from './vocabulary.js';

/** analyze(): a pixel belongs to the foreground when it is farther than this from the background median. */
export const FOREGROUND_DISTANCE = 55;
const MIN_AREA = 30;
const MIN_CORE = 10;

const f = Math.fround;

const PAL: ReadonlyArray<readonly [number, number, number]> = COLOR_NAMES.map((c) => PALETTE_255[c]);

/** train_shapes.py nearest(): index of the palette colour nearest (squared Euclidean, float64) to rgb (0-255). */
function nearest(r: number, g: number, b: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let k = 0; k < PAL.length; k++) {
    const [pr, pg, pb] = PAL[k];
    const d = (pr - r) ** 2 + (pg - g) ** 2 + (pb - b) ** 2;
    if (d < bestD) [best, bestD] = [k, d]; // strict: the first minimum wins, like np.argmin
  }
  return best;
}

/** np.median of float32 values: the middle one, or the float32 mean of the middle two. Sorts `values`. */
function medianF32(values: Float32Array): number {
  values.sort();
  const n = values.length;
  const h = n >> 1;
  return n % 2 === 1 ? values[h] : f(f(values[h - 1] + values[h]) / 2);
}

/** Per-channel medians of the pixels (of HWC 0-255 float32 `a`) where `select` is set. */
function channelMedians(a: Float32Array, select: Uint8Array, count: number): [number, number, number] {
  const channels = [new Float32Array(count), new Float32Array(count), new Float32Array(count)];
  let k = 0;
  for (let p = 0; p < select.length; p++) {
    if (!select[p]) continue;
    for (let c = 0; c < 3; c++) channels[c][k] = a[p * 3 + c];
    k++;
  }
  return [medianF32(channels[0]), medianF32(channels[1]), medianF32(channels[2])];
}

/** Keeps the largest 4-connected component of `mask` (in place; ties: the first in raster order, like np.argmax over scipy's labels). */
function keepLargestComponent(mask: Uint8Array, size: number): void {
  const label = new Int32Array(mask.length);
  const stack = new Int32Array(mask.length);
  let best = 0;
  let bestSize = 0;
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    const id = ++next;
    let top = 0;
    let count = 0;
    stack[top++] = start;
    label[start] = id;
    while (top > 0) {
      const p = stack[--top];
      count++;
      const x = p % size;
      const neighbours = [x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, p - size, p + size];
      for (const q of neighbours) {
        if (q >= 0 && q < mask.length && mask[q] && !label[q]) {
          label[q] = id;
          stack[top++] = q;
        }
      }
    }
    if (count > bestSize) [best, bestSize] = [id, count];
  }
  if (next > 1) for (let p = 0; p < mask.length; p++) mask[p] = label[p] === best ? 1 : 0;
}

/** scipy.ndimage.binary_erosion(mask) with its defaults: 3x3 cross, one iteration, outside the picture counts as 0. */
function erode(mask: Uint8Array, size: number): Uint8Array {
  const core = new Uint8Array(mask.length);
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const p = y * size + x;
      core[p] = mask[p] & mask[p - 1] & mask[p + 1] & mask[p - size] & mask[p + size];
    }
  }
  return core;
}

function countSet(mask: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < mask.length; p++) n += mask[p];
  return n;
}

export interface ShapeAnalysis {
  /** Palette colour nearest the background's median colour. */
  bg: ColorName;
  /** Palette colour nearest the shape's median colour; null when no shape was found (< 30 foreground pixels). */
  fg: ColorName | null;
  shape: ShapeName | null;
  /** Centroid of the shape's mask in pixels; -1 when no shape was found. */
  cx: number;
  cy: number;
  /** IoU of the mask with the best-fitting rendered shape; 0 when no shape was found. */
  iou: number;
  /** Foreground pixels (the largest component). */
  area: number;
}

/** To (size, size, 3) float32 0-255 values, `np.clip(img, 0, 1) * 255.0`. */
function toPixels255(image: Float32Array, layout: ImageLayout, size: number): Float32Array {
  if (image.length !== size * size * 3) {
    throw new RangeError(`analyze() takes a ${size}x${size} RGB picture (${size * size * 3} floats, ${layout}); got ${image.length} floats`);
  }
  const plane = size * size;
  const a = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = image[layout === 'hwc' ? p * 3 + c : c * plane + p];
      a[p * 3 + c] = f(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return a;
}

/**
 * train_shapes.py analyze(): background colour, shape colour, shape kind and centroid of a picture with values in
 * [0, 1], either (size, size, 3) HWC or (1, 3, size, size) NCHW (the pipeline's `image`).
 */
export function analyze(image: Float32Array, layout: ImageLayout, size = 128): ShapeAnalysis {
  const a = toPixels255(image, layout, size);
  const plane = size * size;

  // 1. background: the palette colour most pixels are nearest to, and the median of those pixels
  const label0 = new Uint8Array(plane);
  const votes = new Array<number>(PAL.length).fill(0);
  for (let p = 0; p < plane; p++) {
    label0[p] = nearest(a[p * 3], a[p * 3 + 1], a[p * 3 + 2]);
    votes[label0[p]]++;
  }
  const bgLabel = votes.indexOf(Math.max(...votes));
  const isBg = label0.map((l) => (l === bgLabel ? 1 : 0));
  const bgc = channelMedians(a, isBg, votes[bgLabel]);

  // 2. foreground: far from the background median (float32 distance), largest 4-connected component
  const mask = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) {
    const d0 = f(a[p * 3] - bgc[0]);
    const d1 = f(a[p * 3 + 1] - bgc[1]);
    const d2 = f(a[p * 3 + 2] - bgc[2]);
    const d = f(Math.sqrt(f(f(f(d0 * d0) + f(d1 * d1)) + f(d2 * d2))));
    mask[p] = d > FOREGROUND_DISTANCE ? 1 : 0;
  }
  if (countSet(mask) > 0) keepLargestComponent(mask, size);
  const area = countSet(mask);
  const bg = COLOR_NAMES[nearest(bgc[0], bgc[1], bgc[2])];
  if (area < MIN_AREA) return { bg, fg: null, shape: null, cx: -1, cy: -1, iou: 0, area };

  // 3. shape colour: median of the eroded mask (of the mask when erosion leaves almost nothing)
  let core = erode(mask, size);
  let coreCount = countSet(core);
  if (coreCount < MIN_CORE) [core, coreCount] = [mask, area];
  const fgc = channelMedians(a, core, coreCount);
  const fg = COLOR_NAMES[nearest(fgc[0], fgc[1], fgc[2])];

  // 4. centroid and bounding box [x0, x1) x [y0, y1)
  let [sx, sy] = [0, 0];
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let p = 0; p < plane; p++) {
    if (!mask[p]) continue;
    const x = p % size;
    const y = (p - x) / size;
    sx += x;
    sy += y;
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x + 1), Math.min(y0, y), Math.max(y1, y + 1)];
  }

  // 5. shape: each shape rendered into the box (r from the mean of the two scale ratios), best IoU wins
  let bestShape = 0;
  let bestIou = -1;
  for (let s = 0; s < SHAPE_NAMES.length; s++) {
    const [bx0, bx1, by0, by1] = shapeBoxes()[s];
    const r = ((x1 - x0) / (bx1 - bx0) + (y1 - y0) / (by1 - by0)) / 2;
    const cx = (x0 - bx0 * r + (x1 - bx1 * r)) / 2;
    const cy = (y0 - by0 * r + (y1 - by1 * r)) / 2;
    const m = shapeCoverage(s, cx, cy, r, size);
    let [inter, union] = [0, 0];
    for (let p = 0; p < plane; p++) {
      const inShape = m[p] > 0.5;
      if (inShape && mask[p]) inter++;
      if (inShape || mask[p]) union++;
    }
    const iou = inter / Math.max(1, union);
    if (iou > bestIou) [bestShape, bestIou] = [s, iou];
  }
  return { bg, fg, shape: SHAPE_NAMES[bestShape], cx: sx / area, cy: sy / area, iou: bestIou, area };
}
