/**
 * A1111 chunks (ids and per-token weights) for shapes-sd's CLIP tokenizer against the Python reference:
 * fixtures/a1111-prompts/extra/manifest.json `chunks`, made by tools/make_a1111_prompt_refs.py with
 * transformers' CLIPTokenizer and make_a1111_refs.py's chunk loop (BREAK first / last / twice, the comma
 * backtrack just outside, exactly at and inside its 20-token window, a comma as the 75th and 76th token,
 * 75 / 76 / 150 tokens, weighted tokens moved by the backtrack). Ids exact, weights within 1e-9.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { readJson } from '../../testing/reference-data.js';
import { checkPromptLength, ClipTokenizer } from './tokenizer.js';

interface ChunkCase {
  prompt: string;
  chunks: { ids: number[]; weights: number[] }[];
}
const { chunks: cases } = readJson<{ chunks: ChunkCase[] }>('fixtures/a1111-prompts/extra/manifest.json');

describe('ClipTokenizer.promptTokens (a1111) vs the Python reference', () => {
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tokenizer = await ClipTokenizer.fromSource(new DirectoryModelSource('public/models/shapes-sd-fp32'));
  });

  it.each(cases.map((c) => [c.prompt.length > 60 ? `${c.prompt.slice(0, 60)}… (${c.prompt.length} chars)` : JSON.stringify(c.prompt), c] as const))(
    '%s',
    (_, c) => {
      const { chunks } = tokenizer.promptTokens(c.prompt, 'a1111');
      expect(chunks.map((chunk) => chunk.ids)).toEqual(c.chunks.map((chunk) => chunk.ids));
      for (const [i, chunk] of c.chunks.entries()) {
        const worst = Math.max(...chunk.weights.map((w, j) => Math.abs(chunks[i].weights[j] - w)));
        expect(worst, `chunk ${i} weights`).toBeLessThanOrEqual(1e-9);
      }
    },
  );

  it("counts like A1111's counter: 75 per chunk before the last, rounded up to whole chunks", () => {
    const words = (n: number) => Array.from({ length: n }, () => 'circle').join(' ');
    expect(tokenizer.tokenize('', 'a1111')).toMatchObject({ tokenCount: 0, maxTokens: 75 });
    expect(tokenizer.tokenize(words(75), 'a1111')).toMatchObject({ tokenCount: 75, maxTokens: 75 });
    expect(tokenizer.tokenize(words(76), 'a1111')).toMatchObject({ tokenCount: 76, maxTokens: 150 });
    const broken = tokenizer.tokenize('a red circle BREAK on a blue background', 'a1111');
    expect(broken).toMatchObject({ tokenCount: 79, maxTokens: 150, truncated: false });
    expect(broken.chunks).toEqual([
      { tokenCount: 3, text: 'a red circle' },
      { tokenCount: 4, text: 'on a blue background' },
    ]);
  });

  it('plain syntax stays one chunk cut at 75, brackets read as text', () => {
    const plain = tokenizer.promptTokens('(red:1.5) BREAK circle', 'plain');
    expect(plain.chunks).toHaveLength(1);
    expect(plain.chunks[0].weights.every((w) => w === 1)).toBe(true);
    expect(plain.chunks[0].ids).toEqual(Array.from(tokenizer.tokenize('(red:1.5) BREAK circle').inputIds));
    const long = tokenizer.promptTokens(Array.from({ length: 80 }, () => 'circle').join(' '), 'plain');
    expect(long).toMatchObject({ tokenCount: 80, maxTokens: 75, truncated: true });
  });

  it('refuses more than 8 chunks with the limit', () => {
    const words = (n: number) => Array.from({ length: n }, () => 'circle').join(' ');
    expect(() => checkPromptLength(tokenizer.promptTokens(words(600), 'a1111'), 'prompt')).not.toThrow();
    expect(() => checkPromptLength(tokenizer.promptTokens(words(601), 'a1111'), 'prompt')).toThrow(
      'The prompt needs 9 chunks of 75 tokens (601 tokens); the limit is 8 chunks (600 tokens). Shorten it.',
    );
  });
});
