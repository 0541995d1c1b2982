/**
 * The picture classifier that scored the bundled demo model shapes-sd, ported line for line from
 * the script that trained it and wrote fixtures/shapes-refs/metrics.json: fixtures/shapes-refs/train_shapes.py
 * (a copy of the training script, kept with the reference data it produced). One job per file:
 *
 *   vocabulary.ts  palette, shapes, position words        (COLORS, SHAPES, POSW)
 *   render.ts      drawing a picture, float32 as on CUDA  (shape_mask, render, _SHAPE_BOX)
 *   analyze.ts     classifying a picture                  (nearest, analyze)
 *   prompts.ts     captions and what a prompt asks for    (caption)
 *   score.ts       judging pictures against prompts       (pos_ok, score)
 */
export * from './vocabulary.js';
export * from './render.js';
export * from './analyze.js';
export * from './prompts.js';
export * from './score.js';
