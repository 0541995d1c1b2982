/**
 * Scoring pictures against their prompts: fixtures/shapes-refs/train_shapes.py `pos_ok` and `score` (the rows and
 * rates of metrics.json `eval`), with Python's round() for the rates.
 */
import { analyze, type ShapeAnalysis } from './analyze.js';
import { parsePrompt } from './prompts.js';
import type { ImageLayout } from './render.js';
import type { ColorName, PositionName, ShapeName } from './vocabulary.js';

/** train_shapes.py pos_ok(): null when the prompt asks for no side (none or "in the center"). */
export function positionOk(position: PositionName | null, analysis: Pick<ShapeAnalysis, 'cx' | 'cy'>, size = 128): boolean | null {
  if (position === null || position === 'center') return null;
  const { cx, cy } = analysis;
  if (cx < 0) return false;
  switch (position) {
    case 'left':
      return cx < 0.42 * size;
    case 'right':
      return cx > 0.58 * size;
    case 'top':
      return cy < 0.42 * size;
    case 'bottom':
      return cy > 0.58 * size;
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
