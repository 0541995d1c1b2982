/**
 * The shapes-sd picture classifier against train_shapes.py, whose numbers live in fixtures/shapes-refs/metrics.json:
 * - on ground-truth renders the Python classifier scores 1.0 on every attribute (metric_sanity_ground_truth, 256
 *   random renders); here every shape x shape colour x background colour (280 pictures) over all five position
 *   classes, drawn like sample_factors(), must be recovered exactly;
 * - on diffusers' picture for prompt 0, seed 0 (prompt0_seed0_torch_cpu.f32) it must detect exactly what
 *   metrics.json reports (eval.per_image[0] and parity.fp32.txt2img_analysis; rounded like Python's round()).
 * Also cross-checked (not in this suite) against a numpy/scipy transcription of analyze() on 158 pictures (noisy,
 * blurred, speckled and random-blob renders, empty and tiny masks): identical bg/fg/shape/area and bit-identical
 * cx, cy, iou.
 */
import { describe, expect, it } from 'vitest';
import { readF32, readJson } from '../reference-data.js';
import { mulberry32 } from '../mulberry32.js';
import {
  analyze,
  caption,
  COLOR_NAMES,
  PALETTE_255,
  parsePrompt,
  POSITION_WORDS,
  pyRound,
  renderShape,
  score,
  scoreOne,
  shapeBoxes,
  shapeCoverage,
  SHAPE_NAMES,
  type ColorName,
  type PositionName,
  type PromptSpec,
  type ScoreRow,
} from './index.js';

interface Metrics {
  data: { colors: Record<string, number[]>; shapes: string[]; position_words: string[] };
  metric_sanity_ground_truth: Record<string, number>;
  eval: { prompts: string[]; per_image: (ScoreRow & { seed: number })[] };
  parity: { fp32: { txt2img_analysis: ScoreRow } };
}
const metrics = readJson<Metrics>('fixtures/shapes-refs/metrics.json');

const POSITION_CLASSES: (PositionName | null)[] = [null, 'left', 'right', 'top', 'bottom'];

/** train_shapes.py sample_factors() for one picture of position class pc, colours jittered by +-0.05. */
function sampleImage(rand: () => number, pc: number) {
  const [u1, u2, u3] = [rand(), rand(), rand()];
  let cx = (0.38 + 0.24 * u1) * 128;
  let cy = (0.38 + 0.24 * u2) * 128;
  const sideX = (0.35 + 0.3 * u1) * 128;
  const sideY = (0.35 + 0.3 * u2) * 128;
  if (pc === 1) cx = (0.2 + 0.1 * u1) * 128;
  if (pc === 2) cx = (0.7 + 0.1 * u1) * 128;
  if (pc >= 3) cx = sideX;
  if (pc === 1 || pc === 2) cy = sideY;
  if (pc === 3) cy = (0.2 + 0.1 * u2) * 128;
  if (pc === 4) cy = (0.7 + 0.1 * u2) * 128;
  const r = pc === 0 ? 22 + 16 * u3 : 16 + 10 * u3;
  const jitter = (name: ColorName) => PALETTE_255[name].map((v) => Math.min(1, Math.max(0, v / 255 + (rand() - 0.5) * 0.1))) as [number, number, number];
  return { cx, cy, r, jitter };
}

describe('palette, shapes and boxes', () => {
  it('uses train_shapes.py vocabulary and palette (metrics.json data)', () => {
    expect(Object.fromEntries(COLOR_NAMES.map((c) => [c, [...PALETTE_255[c]]]))).toEqual(metrics.data.colors);
    expect(Object.keys(metrics.data.colors)).toEqual([...COLOR_NAMES]);
    expect([...SHAPE_NAMES]).toEqual(metrics.data.shapes);
    expect(Object.values(POSITION_WORDS)).toEqual(metrics.data.position_words);
  });

  it('renders _SHAPE_BOX as Python does (boxes of the > 0.5 masks at r = 40, in units of r)', () => {
    // Values from the numpy transcription of render(); the triangle's box is the same whether `/ 1.75` is a
    // division (torch CPU) or a multiplication by the reciprocal (torch CUDA).
    expect(shapeBoxes()).toEqual([
      [-1, 1, -1, 1],
      [-0.85, 0.85, -0.85, 0.85],
      [-0.9, 0.9, -0.975, 0.75],
      [-1, 1, -1, 1],
      [-1.025, 1.025, -1.05, 0.875],
    ]);
  });

  it('anti-aliases with 2x2 supersampling: coverage in quarters, exact on a pixel-aligned square', () => {
    // square half side 0.85 r = 8.5 px at centre 64.5: pixels 56..72 inclusive fully covered, nothing else
    const m = shapeCoverage('square', 64.5, 64.5, 10);
    const covered = [...m].filter((v) => v > 0).length;
    expect(covered).toBe(17 * 17);
    expect(m[64 * 128 + 56]).toBe(1);
    expect(m[64 * 128 + 55]).toBe(0);
    const circle = shapeCoverage('circle', 40.3, 70.1, 13.7);
    expect([...new Set(circle)].sort()).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('analyze() on ground-truth renders (Python: metric_sanity_ground_truth = 1.0)', () => {
  it('recovers every shape, shape colour, background colour and position', () => {
    expect(metrics.metric_sanity_ground_truth.all).toBe(1);
    const rand = mulberry32(20240607);
    // alternate the layouts: odd pictures HWC, even ones NCHW (the pipeline's)
    const byLayout = { hwc: [] as { prompt: string; image: Float32Array }[], nchw: [] as { prompt: string; image: Float32Array }[] };
    let k = 0;
    for (const color of COLOR_NAMES) {
      for (const bg of COLOR_NAMES) {
        if (bg === color) continue;
        for (const shape of SHAPE_NAMES) {
          const pc = k % POSITION_CLASSES.length;
          const layout = k++ % 2 ? 'hwc' : 'nchw';
          const { cx, cy, r, jitter } = sampleImage(rand, pc);
          const image = renderShape({ shape, color: jitter(color), background: jitter(bg), cx, cy, r }, layout);
          byLayout[layout].push({ prompt: caption(0, { color, shape, bg, position: POSITION_CLASSES[pc] }), image });
        }
      }
    }
    const hwc = score(byLayout.hwc, 'hwc');
    const nchw = score(byLayout.nchw, 'nchw');
    const wrong = [...hwc.rows, ...nchw.rows].filter((row) => !row.ok.all);
    expect(wrong).toEqual([]);
    expect(hwc.accuracy).toEqual({ bg: 1, color: 1, shape: 1, position: 1, all: 1, n: 140 });
    expect(nchw.accuracy).toEqual({ bg: 1, color: 1, shape: 1, position: 1, all: 1, n: 140 });
    expect(hwc.counts.position.asked + nchw.counts.position.asked).toBe(224); // 4 of 5 classes name a side
  });

  it('gives the same answer for HWC and NCHW layouts of one picture', () => {
    const picture = { shape: 'star', color: [1, 1, 1], background: [0.5, 0.2, 0.7], cx: 70.2, cy: 55.9, r: 30 } as const;
    expect(analyze(renderShape(picture, 'nchw'), 'nchw')).toEqual(analyze(renderShape(picture, 'hwc'), 'hwc'));
  });
});

describe('analyze() on diffusers pictures', () => {
  it('detects in prompt0_seed0_torch_cpu.f32 exactly what metrics.json reports', () => {
    const image = readF32('fixtures/shapes-refs/prompt0_seed0_torch_cpu.f32'); // (1, 3, 128, 128) in [0, 1]
    const { seed, ...expected } = metrics.eval.per_image[0];
    expect(seed).toBe(0);
    const row = scoreOne(metrics.eval.prompts[0], analyze(image, 'nchw'));
    expect(row).toEqual(expected);
    expect(row).toEqual(metrics.parity.fp32.txt2img_analysis);
    expect(row.detected).toEqual({ bg: 'blue', color: 'purple', shape: 'square', cx: 102, cy: 47, iou: 0.876 });
  });
});

describe('analyze() edge cases, as numpy/scipy behave', () => {
  const blue = PALETTE_255.blue.map((v) => v / 255);
  const fill = (paint: (x: number, y: number) => readonly number[] | null): Float32Array => {
    const image = new Float32Array(128 * 128 * 3);
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) image.set(paint(x, y) ?? blue, (y * 128 + x) * 3);
    return image;
  };
  const red = PALETTE_255.red.map((v) => v / 255);
  const yellow = PALETTE_255.yellow.map((v) => v / 255);

  it('finds no shape in a plain picture or under 30 foreground pixels', () => {
    expect(
      analyze(
        fill(() => null),
        'hwc',
      ),
    ).toEqual({ bg: 'blue', fg: null, shape: null, cx: -1, cy: -1, iou: 0, area: 0 });
    const tiny = analyze(
      fill((x, y) => (x >= 10 && x < 14 && y >= 10 && y < 14 ? yellow : null)),
      'hwc',
    );
    expect(tiny).toMatchObject({ fg: null, shape: null, cx: -1, area: 16 });
    expect(scoreOne('a yellow square on a blue background', tiny).detected).toEqual({ bg: 'blue', color: null, shape: null, cx: -1, cy: -1, iou: 0 });
  });

  it('keeps the largest 4-connected component (diagonal neighbours are not connected)', () => {
    // a 10x10 red square, and a 12x12 checkerboard-diagonal of yellow pixels (72 pixels, none 4-connected)
    const image = fill((x, y) => (x >= 20 && x < 30 && y >= 20 && y < 30 ? red : x >= 60 && x < 72 && y >= 60 && y < 72 && (x + y) % 2 === 0 ? yellow : null));
    expect(analyze(image, 'hwc')).toMatchObject({ fg: 'red', shape: 'square', cx: 24.5, cy: 24.5, iou: 1, area: 100 });
  });

  it('erodes with the picture border counting as background (scipy border_value=0)', () => {
    // rows 0-2 differ from the background: row 0 red, row 1 yellow with red end pixels, row 2 yellow. With the
    // border as background only row 1's inner pixels survive erosion (yellow); were it foreground, rows 0-1
    // would survive and red would be the median.
    const image = fill((x, y) => (y === 0 || (y === 1 && (x === 0 || x === 127)) ? red : y <= 2 ? yellow : null));
    expect(analyze(image, 'hwc')).toMatchObject({ bg: 'blue', fg: 'yellow', area: 384, cy: 1 });
  });

  it('uses the whole mask for the colour when erosion leaves fewer than 10 pixels', () => {
    const image = fill((x, y) => (y === 50 && x >= 20 && x < 60 ? yellow : null)); // a 1-pixel line
    expect(analyze(image, 'hwc')).toMatchObject({ fg: 'yellow', area: 40, cx: 39.5, cy: 50 });
  });
});

describe('prompts', () => {
  it('parses the 16 evaluation prompts', () => {
    const parsed = metrics.eval.prompts.map(parsePrompt);
    expect(parsed[0]).toEqual({ color: 'red', shape: 'circle', bg: 'blue', position: null });
    expect(parsed[8]).toEqual({ color: 'red', shape: 'square', bg: 'yellow', position: 'left' });
    expect(parsed[12]).toEqual({ color: 'white', shape: 'cross', bg: 'red', position: null });
    expect(parsed.filter((p) => p.position).map((p) => p.position)).toEqual(['left', 'right', 'top', 'bottom']);
  });

  it('inverts caption() for every template, colour pair, shape and position', () => {
    const positions: (PositionName | null)[] = [null, 'left', 'right', 'top', 'bottom', 'center'];
    let n = 0;
    for (let t = 0; t < 8; t++) {
      for (const color of COLOR_NAMES) {
        for (const bg of COLOR_NAMES) {
          for (const shape of SHAPE_NAMES) {
            for (const position of positions) {
              const spec: PromptSpec = { color, shape, bg, position };
              const want = { ...spec, color: t === 7 ? null : color, bg: t === 6 ? null : bg };
              expect(parsePrompt(caption(t, spec))).toEqual(want);
              n++;
            }
          }
        }
      }
    }
    expect(n).toBe(8 * 8 * 8 * 5 * 6);
    expect(caption(0, { color: 'orange', shape: 'square', bg: 'green', position: null })).toBe('an orange square on a green background');
    expect(caption(5, { color: 'red', shape: 'star', bg: 'white', position: 'top' })).toBe('a white background with a red star at the top');
  });

  it('rejects prompts that are not about one shape', () => {
    expect(() => parsePrompt('a cat on a sofa')).toThrow(/exactly one of circle/);
    expect(() => parsePrompt('a circle and a square')).toThrow(RangeError);
  });
});

describe('score()', () => {
  it('rounds like Python (exact binary value, ties to even)', () => {
    expect(pyRound(0.25, 1)).toBe(0.2);
    expect(pyRound(102.75, 1)).toBe(102.8);
    expect(pyRound(0.8125, 3)).toBe(0.812);
    expect(pyRound(2.675, 2)).toBe(2.67); // 2.675 is 2.67499999... in binary
    expect(pyRound(101.9709228824273, 1)).toBe(102);
    expect(pyRound(0.99996, 4)).toBe(1);
    expect(pyRound(-1, 1)).toBe(-1);
    expect(pyRound(7 / 16, 4)).toBe(0.4375);
  });

  it('judges position only when the prompt names a side, and colours only when named', () => {
    const at = (cx: number, cy: number) => ({ bg: 'white', fg: 'red', shape: 'circle', cx, cy, iou: 0.9, area: 500 }) as const;
    expect(scoreOne('a red circle on the left, on a white background', at(53.7, 64)).ok.position).toBe(true);
    expect(scoreOne('a red circle on the left, on a white background', at(53.8, 64)).ok.position).toBe(false);
    expect(scoreOne('a red circle at the bottom, on a white background', at(64, 74.3)).ok.position).toBe(true);
    expect(scoreOne('a red circle in the center, on a white background', at(10, 10)).ok).toEqual({
      bg: true,
      color: true,
      shape: true,
      position: null,
      all: true,
    });
    expect(scoreOne('a circle on a white background', at(64, 64)).ok.color).toBeNull();
    expect(scoreOne('a red circle', at(64, 64)).ok.bg).toBeNull();
    expect(scoreOne('a red circle on the right, on a white background', { ...at(-1, -1), fg: null, shape: null, iou: 0 }).ok).toEqual({
      bg: true,
      color: false,
      shape: false,
      position: false,
      all: false,
    });
  });
});
