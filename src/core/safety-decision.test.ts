/**
 * diffusers' StableDiffusionSafetyChecker.forward decision rules (safety_checker.py) on scores at their
 * edges, with numpy's float32 arithmetic (round(x, 3) = rint(float32(x * 1000)) / 1000, checked in numpy
 * 2.4 on 200000 random float32 scores in [-0.002, 0.002]: "round(x, 3) > 0" iff "float32(x * 1000) > 0.5").
 * The pipeline-level parity against diffusers is src/engine/safety/safety-checker.parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { safetyDecision } from './safety-decision.js';

const f = Math.fround;
const decide = (special: number[], concept: number[]) => safetyDecision({ specialScores: special.map(f), conceptScores: concept.map(f) });

describe('safety decision (diffusers forward)', () => {
  it('flags when a concept score rounds to over 0 at 3 decimals, not merely over 0 (forward_onnx would flag 0.0004)', () => {
    expect(decide([-0.1], [-0.2, 0.0004]).nsfwContentDetected).toBe(false);
    expect(decide([-0.1], [-0.2, f(0.0005)]).nsfwContentDetected).toBe(false); // float32 0.0005 * 1000 is 0.5: rounds to 0
    expect(decide([-0.1], [-0.2, 0.0006]).badConcepts).toEqual([1]);
  });

  it('a special-care score over 0 adds 0.01 to every concept score; special care alone does not flag', () => {
    expect(decide([-0.05, 0.002, -0.3], [-0.009, -0.5])).toEqual({ nsfwContentDetected: true, specialCare: true, badConcepts: [0] });
    expect(decide([-0.05, 0.002, -0.3], [-0.011, -0.5])).toEqual({ nsfwContentDetected: false, specialCare: true, badConcepts: [] });
    expect(decide([-0.05, -0.002, -0.3], [-0.009, -0.5])).toEqual({ nsfwContentDetected: false, specialCare: false, badConcepts: [] });
  });

  it('special-care scores round too: 0.0004 raises nothing', () => {
    expect(decide([0.0004], [-0.009]).specialCare).toBe(false);
    expect(decide([0.0006], [-0.009]).specialCare).toBe(true);
  });
});
