/**
 * torchSum / torchMean against torch 2.13's float32 sum and mean on the CPU (fixtures/a1111-prompts/extra
 * `sums`, made by tools/make_a1111_prompt_refs.py): equal bit for bit, which the emphasis's mean ratio needs.
 */
import { describe, expect, it } from 'vitest';
import { readF32, readJson } from '../testing/reference-data.js';
import { torchMean, torchSum } from './torch-sum.js';

const { sums } = readJson<{ sums: { n: number; file: string; sum: number; mean: number }[] }>('fixtures/a1111-prompts/extra/manifest.json');

describe('torchSum', () => {
  it.each(sums.map((s) => [s.n, s] as const))('%i values: the same float32 sum and mean as torch', (_, s) => {
    const values = readF32(`fixtures/a1111-prompts/extra/${s.file}`);
    expect(torchSum(values)).toBe(s.sum);
    expect(torchMean(values)).toBe(s.mean);
  });
});
