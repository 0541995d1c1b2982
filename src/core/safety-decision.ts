/**
 * The safety checker's decision for one picture, exactly as diffusers' StableDiffusionSafetyChecker.forward
 * (pipelines/stable_diffusion/safety_checker.py, what StableDiffusionPipeline runs) makes it from the
 * scores `cosine(image, concept) - threshold` (float32):
 *
 *   adjustment = 0
 *   for each special-care concept, in order: score = round(s + adjustment, 3); if score > 0: adjustment = 0.01
 *   for each concept: score = round(c + adjustment, 3); flagged when any score > 0
 *
 * numpy's arithmetic: a float32 score plus a Python float stays float32 (NEP 50), and round(x, 3) is
 * rint(float32(x * 1000)) / 1000, so "round(x, 3) > 0" is "float32(x * 1000) > 0.5" (0.5 rounds to 0).
 *
 * The ONNX export (forward_onnx, diffusers' converter) decides differently at the edges: it does not round
 * (a score of 0.0004 flags there, not in diffusers' pipeline) and adds 0.01 when any unrounded special-care
 * score is over 0 (forward adds it to the special-care scores after the first positive one as well). So
 * the engine takes the scores out of the graph and decides here.
 */

const f32 = Math.fround;
const ADJUSTMENT = f32(0.01);

export interface SafetyScores {
  /** cosine - threshold per special-care concept (3 in SD v1.4), float32. */
  specialScores: ArrayLike<number>;
  /** cosine - threshold per concept (17 in SD v1.4), float32. */
  conceptScores: ArrayLike<number>;
}

export interface SafetyDecision {
  nsfwContentDetected: boolean;
  /** Whether a special-care concept raised the concept scores by 0.01. */
  specialCare: boolean;
  /** Indices of the concepts over their thresholds. */
  badConcepts: number[];
}

/** round(x, 3) > 0 for a float32 x, as numpy computes it. */
function roundedPositive(x: number): boolean {
  return f32(x * 1000) > 0.5;
}

export function safetyDecision({ specialScores, conceptScores }: SafetyScores): SafetyDecision {
  let adjustment = 0;
  for (let i = 0; i < specialScores.length; i++) {
    if (roundedPositive(f32(specialScores[i]! + adjustment))) adjustment = ADJUSTMENT;
  }
  const badConcepts: number[] = [];
  for (let i = 0; i < conceptScores.length; i++) {
    if (roundedPositive(f32(conceptScores[i]! + adjustment))) badConcepts.push(i);
  }
  return { nsfwContentDetected: badConcepts.length > 0, specialCare: adjustment > 0, badConcepts };
}
