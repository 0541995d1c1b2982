/**
 * The picture classifier that scored the bundled demo model shapes-sd, ported line for line from
 * /work/shared/tools/train_shapes.py (`COLORS`/`PAL255`, `SHAPES`, `POSW`, `caption`, `shape_mask`, `render`,
 * `_SHAPE_BOX`, `nearest`, `analyze`, `pos_ok`, `score`) so that the engine's pictures are judged exactly as
 * diffusers' pictures were in fixtures/shapes-refs/metrics.json.
 *
 * analyze(), as in Python:
 *   1. background = the palette colour nearest to most pixels; its colour = the per-channel median of those pixels
 *   2. foreground mask = pixels farther than 55 (0-255 RGB, Euclidean) from that median, reduced to its largest
 *      4-connected component (scipy.ndimage.label's default structure)
 *   3. shape colour = palette colour nearest the median of the mask eroded once by the 3x3 cross
 *      (scipy.ndimage.binary_erosion defaults: the border counts as background), or of the mask if that leaves < 10
 *   4. shape = the shape whose render, scaled and moved to the mask's bounding box, has the highest IoU with it
 *
 * Precision follows the reference, so borderline pixels fall the same way: pixels are float32 (numpy), palette
 * distances float64 (numpy upcasts against the float64 palette), distances to the background median float32;
 * render() is emulated in float32 (Math.fround) op by op as torch ran it on CUDA, where `x / scalar` is computed
 * as `x * (1 / scalar)` (aten's div_true_kernel_cuda) and `remainder` is fmod-based. Only the star's atan2/cos/sin
 * may differ from CUDA's by an ulp, which moves a sub-sample only when it lies within ~1e-5 px of an edge.
 */

export const COLOR_NAMES = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white', 'black'] as const;
export type ColorName = (typeof COLOR_NAMES)[number];

/** train_shapes.py `COLORS` (also metrics.json `data.colors`): the palette in 0-255 RGB. */
export const PALETTE_255: Readonly<Record<ColorName, readonly [number, number, number]>> = {
  red: [220, 30, 30],
  green: [30, 170, 50],
  blue: [30, 70, 230],
  yellow: [250, 230, 40],
  purple: [140, 50, 180],
  orange: [255, 130, 0],
  white: [245, 245, 245],
  black: [15, 15, 15],
};

export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'cross', 'star'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** train_shapes.py `POSW` (position classes 1-5); 'center' is never checked, like pos_ok's class 5. */
export const POSITION_WORDS = {
  left: 'on the left',
  right: 'on the right',
  top: 'at the top',
  bottom: 'at the bottom',
  center: 'in the center',
} as const;
export type PositionName = keyof typeof POSITION_WORDS;

export type ImageLayout = 'hwc' | 'nchw';

/** render()'s supersampling factor: SS x SS sub-samples per pixel, averaged (anti-aliased edges). */
export const SUPERSAMPLING = 2;
/** analyze(): a pixel belongs to the foreground when it is farther than this from the background median. */
export const FOREGROUND_DISTANCE = 55;
const MIN_AREA = 30;
const MIN_CORE = 10;

const f = Math.fround;

// ------------------------------------------------------------------------------------------------ render

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

export interface ShapePicture {
  shape: ShapeName;
  /** RGB in [0, 1]. */
  color: readonly [number, number, number];
  background: readonly [number, number, number];
  cx: number;
  cy: number;
  r: number;
}

/** train_shapes.py render(): `bg * (1 - m) + col * m`, float32, as (size, size, 3) HWC or (1, 3, size, size) NCHW. */
export function renderShape(picture: ShapePicture, layout: ImageLayout = 'hwc', size = 128): Float32Array {
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

// ------------------------------------------------------------------------------------------------ analyze

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

// ------------------------------------------------------------------------------------------------ prompts

export interface PromptSpec {
  /** The shape's colour; null when the prompt names none ("a circle on a blue background"). */
  color: ColorName | null;
  shape: ShapeName;
  /** The background colour; null when the prompt names none ("a red circle"). */
  bg: ColorName | null;
  /** null: no position words. */
  position: PositionName | null;
}

const article = (word: string): string => ('aeiou'.includes(word[0]) ? 'an' : 'a');

/**
 * train_shapes.py caption(t, c, s, b, p): the eight caption templates of the training data (template 0 is the
 * prompt form "a {color} {shape}[ {position},] on a {color} background"). Templates that name no colour or no
 * background need `color` or `bg` only for the others.
 */
export function caption(template: number, spec: PromptSpec): string {
  const { shape } = spec;
  const C = spec.color ?? '';
  const B = spec.bg ?? '';
  const P = spec.position ? POSITION_WORDS[spec.position] : '';
  const sp = P ? ` ${P},` : '';
  const sq = P ? ` ${P}` : '';
  const needs = (color: boolean, bg: boolean) => {
    if ((color && !C) || (bg && !B)) throw new RangeError(`caption template ${template} needs ${color && !C ? 'a shape colour' : 'a background colour'}`);
  };
  switch (template) {
    case 0: needs(true, true); return `${article(C)} ${C} ${shape}${sp} on ${article(B)} ${B} background`;
    case 1: needs(true, true); return `a photo of ${article(C)} ${C} ${shape}${sp} on ${article(B)} ${B} background`;
    case 2: needs(true, true); return `a drawing of ${article(C)} ${C} ${shape}${sp} on ${article(B)} ${B} background`;
    case 3: needs(true, true); return `${C} ${shape}${sq}, ${B} background`;
    case 4: needs(true, true); return `${article(C)} ${C} ${shape}${sp} on ${B}`;
    case 5: needs(true, true); return `${article(B)} ${B} background with ${article(C)} ${C} ${shape}${sq}`;
    case 6: needs(true, false); return `${article(C)} ${C} ${shape}${sq}`;
    case 7: needs(false, true); return `${article(shape)} ${shape}${sp} on ${article(B)} ${B} background`;
    default: throw new RangeError(`caption templates are 0-7, not ${template}`);
  }
}

const COLOR_RE = COLOR_NAMES.join('|');
const SHAPE_RE = SHAPE_NAMES.join('|');
const POSITION_RE = Object.values(POSITION_WORDS).join('|');

/**
 * What a shapes-sd prompt asks for, for any of caption()'s templates: the shape word, the colour word right
 * before it, the background ("<colour> background", or "on <colour>" at the end) and the position words.
 */
export function parsePrompt(prompt: string): PromptSpec {
  const text = prompt.trim().toLowerCase().replace(/\s+/g, ' ');
  const shapes = text.match(new RegExp(`\\b(${SHAPE_RE})\\b`, 'g')) ?? [];
  if (shapes.length !== 1) {
    throw new RangeError(`"${prompt}" is not a shapes-sd prompt: name exactly one of ${SHAPE_NAMES.join(', ')}, as in "a red circle on a blue background"`);
  }
  const shape = shapes[0] as ShapeName;
  const color = text.match(new RegExp(`\\b(${COLOR_RE}) ${shape}\\b`))?.[1] as ColorName | undefined;
  const bg = (text.match(new RegExp(`\\b(${COLOR_RE}) background\\b`)) ?? text.match(new RegExp(`\\bon (${COLOR_RE})$`)))?.[1] as
    | ColorName
    | undefined;
  const words = text.match(new RegExp(`\\b(${POSITION_RE})\\b`))?.[1];
  const position = words ? ((Object.keys(POSITION_WORDS) as PositionName[]).find((k) => POSITION_WORDS[k] === words) ?? null) : null;
  return { color: color ?? null, shape, bg: bg ?? null, position };
}

// ------------------------------------------------------------------------------------------------ score

/** train_shapes.py pos_ok(): null when the prompt asks for no side (none or "in the center"). */
export function positionOk(position: PositionName | null, analysis: Pick<ShapeAnalysis, 'cx' | 'cy'>, size = 128): boolean | null {
  if (position === null || position === 'center') return null;
  const { cx, cy } = analysis;
  if (cx < 0) return false;
  switch (position) {
    case 'left': return cx < 0.42 * size;
    case 'right': return cx > 0.58 * size;
    case 'top': return cy < 0.42 * size;
    case 'bottom': return cy > 0.58 * size;
  }
}

/** Python's round(x, digits): correctly rounded from the exact binary value, ties to even. */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const [whole, frac] = Math.abs(x).toFixed(100).split('.');
  const kept = frac.slice(0, digits);
  const rest = frac.slice(digits);
  const half = '5'.padEnd(rest.length, '0');
  const last = Number((whole + kept).slice(-1));
  const up = rest > half || (rest === half && last % 2 === 1);
  let digitsStr = whole + kept;
  if (up) digitsStr = (BigInt(digitsStr) + 1n).toString().padStart(digitsStr.length, '0');
  const value = Number(`${digitsStr.slice(0, digitsStr.length - digits) || '0'}.${digitsStr.slice(digitsStr.length - digits)}`);
  return x < 0 ? -value : value;
}

export type Attribute = 'bg' | 'color' | 'shape' | 'position' | 'all';
export const ATTRIBUTES: readonly Attribute[] = ['bg', 'color', 'shape', 'position', 'all'];

/** One row of train_shapes.py score() (= metrics.json eval.per_image without `seed`). */
export interface ScoreRow {
  prompt: string;
  detected: { bg: ColorName; color: ColorName | null; shape: ShapeName | null; cx: number; cy: number; iou: number };
  ok: Record<Attribute, boolean | null>;
}

export interface ScoreSummary {
  /** Fraction right per attribute, rounded to 4 digits (null when no picture asks for it), and n: metrics.json's form. */
  accuracy: Record<Attribute, number | null> & { n: number };
  /** How many pictures asked for each attribute and how many got it right. */
  counts: Record<Attribute, { right: number; asked: number }>;
  rows: ScoreRow[];
}

/** Judges one picture against its prompt (train_shapes.py score()'s loop body). */
export function scoreOne(prompt: string, analysis: ShapeAnalysis, size = 128): ScoreRow {
  const want = parsePrompt(prompt);
  const ok: Record<Attribute, boolean | null> = {
    bg: want.bg === null ? null : analysis.bg === want.bg,
    color: want.color === null ? null : analysis.fg === want.color,
    shape: analysis.shape === want.shape,
    position: positionOk(want.position, analysis, size),
    all: null,
  };
  ok.all = (['bg', 'color', 'shape', 'position'] as const).every((k) => ok[k] !== false);
  return {
    prompt,
    detected: {
      bg: analysis.bg,
      color: analysis.fg,
      shape: analysis.shape,
      cx: pyRound(analysis.cx, 1),
      cy: pyRound(analysis.cy, 1),
      iou: pyRound(analysis.iou, 3),
    },
    ok,
  };
}

/** train_shapes.py score(): classifies each picture and tallies what its prompt asked for. */
export function score(pictures: ReadonlyArray<{ prompt: string; image: Float32Array }>, layout: ImageLayout, size = 128): ScoreSummary {
  const rows = pictures.map(({ prompt, image }) => scoreOne(prompt, analyze(image, layout, size), size));
  const counts = Object.fromEntries(ATTRIBUTES.map((k) => [k, { right: 0, asked: 0 }])) as ScoreSummary['counts'];
  for (const row of rows) {
    for (const k of ATTRIBUTES) {
      const v = row.ok[k];
      if (v === null) continue;
      counts[k].asked++;
      if (v) counts[k].right++;
    }
  }
  const accuracy = Object.fromEntries(
    ATTRIBUTES.map((k) => [k, counts[k].asked ? pyRound(counts[k].right / counts[k].asked, 4) : null]),
  ) as ScoreSummary['accuracy'];
  accuracy.n = rows.length;
  return { accuracy, counts, rows };
}
