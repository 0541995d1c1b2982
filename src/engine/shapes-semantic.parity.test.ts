/**
 * End to end, judged by what the pictures show: the engine draws the 16 shapes-sd evaluation prompts
 * (fixtures/shapes-refs/metrics.json eval.prompts; seed 0, PNDM, 20 steps, guidance 7.5, 128x128, the fp32 model
 * public/models/shapes-sd-fp32 on onnxruntime-web's wasm backend) and train_shapes.py's classifier, ported in
 * src/testing/shape-metric.ts, says what each shows. Reference: diffusers StableDiffusionPipeline (torch 2.11 fp32
 * CUDA, TF32 off) on the same model, same prompts and seed-0 latents, scored by the Python classifier:
 * metrics.json eval.per_image (seed 0 rows) and eval.accuracy_seed0 (bg 15/16, shape colour 7/16, shape 11/16,
 * position 4/4, all 6/16).
 *
 * Tolerance: colours, shape and every ok flag must be identical, and so must the accuracies. cx and cy may differ by
 * 0.5 px and iou by 0.01, because the engine's pixels differ from diffusers' by ~1e-5 (ORT vs torch arithmetic;
 * metrics.json parity: ORT CPU vs torch CUDA max 2.2e-5): a pixel lying within that of the foreground threshold
 * (distance 55) can flip, and one pixel more or less moves the centroid of a >= 300-pixel mask by < 0.5 px and its
 * IoU by < 0.01. Measured: every row identical (see the table this test prints).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../node/directory-source.js';
import { wasmRuntime } from '../node/ort-node.js';
import { maxAbsDiff, readF32, readJson } from '../testing/reference-data.js';
import { ATTRIBUTES, score, type ScoreRow, type ScoreSummary } from '../testing/shape-metric/index.js';
import { StableDiffusionPipeline } from './pipeline.js';

interface Metrics {
  eval: {
    prompts: string[];
    per_image: (ScoreRow & { seed: number })[];
    accuracy_seed0: ScoreSummary['accuracy'];
  };
}

const metrics = readJson<Metrics>('fixtures/shapes-refs/metrics.json');
const PROMPTS = metrics.eval.prompts;
const DIFFUSERS_ROWS = metrics.eval.per_image.filter((row) => row.seed === 0).map(({ seed: _, ...row }) => row);
const CENTROID_TOLERANCE_PX = 0.5;
const IOU_TOLERANCE = 0.01;

describe("shapes-sd-fp32: what the engine draws, judged like diffusers' pictures", () => {
  let pipeline: StableDiffusionPipeline;
  let summary: ScoreSummary;

  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('public/models/shapes-sd-fp32'), { executionProviders: ['wasm'] });
    const pictures: { prompt: string; image: Float32Array }[] = [];
    for (const prompt of PROMPTS) {
      const result = await pipeline.generate({ prompt, seed: 0, scheduler: 'pndm', numInferenceSteps: 20, guidanceScale: 7.5, width: 128, height: 128 });
      pictures.push({ prompt, image: result.image }); // (1, 3, 128, 128) in [0, 1]
    }
    summary = score(pictures, 'nchw');
    printComparison(summary);
    // for reading the table only; pipeline.test.ts holds the pixel parity check
    const pixelError = maxAbsDiff(pictures[0].image, readF32('fixtures/shapes-refs/prompt0_seed0_torch_cpu.f32'));
    console.log(`prompt 0: engine vs diffusers (torch CPU) picture, max abs diff ${pixelError.toExponential(2)} in [0, 1]`);
  }, 600_000);

  afterAll(() => pipeline?.dispose());

  it('has the 16 diffusers rows for seed 0 to compare with', () => {
    expect(PROMPTS).toHaveLength(16);
    expect(DIFFUSERS_ROWS.map((row) => row.prompt)).toEqual(PROMPTS);
  });

  it.each(PROMPTS.map((prompt, i) => [i, prompt] as const))("picture %i (%s) is classified as diffusers' is", (i) => {
    const ours = summary.rows[i];
    const theirs = DIFFUSERS_ROWS[i];
    const { cx, cy, iou, ...categories } = ours.detected;
    const { cx: refCx, cy: refCy, iou: refIou, ...refCategories } = theirs.detected;
    expect(categories).toEqual(refCategories);
    expect(ours.ok).toEqual(theirs.ok);
    expect(Math.abs(cx - refCx)).toBeLessThanOrEqual(CENTROID_TOLERANCE_PX);
    expect(Math.abs(cy - refCy)).toBeLessThanOrEqual(CENTROID_TOLERANCE_PX);
    expect(Math.abs(iou - refIou)).toBeLessThanOrEqual(IOU_TOLERANCE);
  });

  it('scores the same accuracy as diffusers (seed 0: bg 15/16, colour 7/16, shape 11/16, position 4/4, all 6/16)', () => {
    expect(metrics.eval.accuracy_seed0).toEqual({ bg: 0.9375, color: 0.4375, shape: 0.6875, position: 1, all: 0.375, n: 16 });
    expect(summary.accuracy).toEqual(metrics.eval.accuracy_seed0);
    expect(summary.counts).toEqual({
      bg: { right: 15, asked: 16 },
      color: { right: 7, asked: 16 },
      shape: { right: 11, asked: 16 },
      position: { right: 4, asked: 4 },
      all: { right: 6, asked: 16 },
    });
  });
});

function printComparison({ accuracy, counts, rows }: ScoreSummary): void {
  const fraction = (right: number, asked: number) => `${right}/${asked}`.padStart(5);
  const theirs = (k: (typeof ATTRIBUTES)[number]) => {
    const asked = DIFFUSERS_ROWS.filter((row) => row.ok[k] !== null).length;
    return fraction(DIFFUSERS_ROWS.filter((row) => row.ok[k] === true).length, asked);
  };
  const lines = [
    'shapes-sd-fp32, 16 prompts, seed 0, PNDM 20 steps, guidance 7.5',
    'attribute   engine       diffusers',
    ...ATTRIBUTES.map(
      (k) => `${k.padEnd(10)}  ${fraction(counts[k].right, counts[k].asked)} ${String(accuracy[k]).padEnd(6)} ${theirs(k)} ${metrics.eval.accuracy_seed0[k]}`,
    ),
    'per picture (engine | diffusers), * = differs:',
    ...rows.map((row, i) => {
      const a = row.detected;
      const b = DIFFUSERS_ROWS[i].detected;
      const same = JSON.stringify(a) === JSON.stringify(b) ? ' ' : '*';
      const show = (d: ScoreRow['detected']) => `${d.bg}/${d.color}/${d.shape} (${d.cx}, ${d.cy}) iou ${d.iou}`;
      return `${same}${String(i).padStart(2)} ${row.ok.all ? 'ok ' : '   '} ${show(a)} | ${show(b)}  ${row.prompt}`;
    }),
  ];
  console.log(lines.join('\n'));
}
