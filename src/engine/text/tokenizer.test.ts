/**
 * Token ids against diffusers' CLIPTokenizer (fixtures/refs/tokens.json, made by
 * tools/make_fixtures.py with transformers). Exact match required. The fp32 fixture has
 * tokenizer.json; the fp16 one has only vocab.json + merges.txt, like the real SD v1.4 repository.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { ClipTokenizer } from './tokenizer.js';

const refs = JSON.parse(readFileSync('fixtures/refs/tokens.json', 'utf8')) as { prompt: string; input_ids: number[]; unpadded_ids: number[] }[];

describe.each(['tiny-sd-fp32', 'tiny-sd-fp16'])('ClipTokenizer (%s)', (folder) => {
  it('matches the reference ids for every prompt', async () => {
    const tokenizer = await ClipTokenizer.fromSource(new DirectoryModelSource(`fixtures/${folder}`));
    for (const ref of refs) {
      const { inputIds, tokenCount, truncated } = tokenizer.tokenize(ref.prompt);
      expect(Array.from(inputIds), ref.prompt).toEqual(ref.input_ids);
      // unpadded_ids include BOS and EOS; for truncated prompts they are cut at 77.
      expect(truncated).toBe(tokenCount > 75);
      if (!truncated) expect(tokenCount + 2).toBe(ref.unpadded_ids.length);
    }
  });

  it('reports truncation with the token count', async () => {
    const tokenizer = await ClipTokenizer.fromSource(new DirectoryModelSource(`fixtures/${folder}`));
    const long = Array.from({ length: 100 }, () => 'cat').join(' ');
    const result = tokenizer.tokenize(long);
    expect(result.tokenCount).toBe(100);
    expect(result.truncated).toBe(true);
    expect(result.inputIds[76]).toBe(49407);
    expect(result.inputIds[75]).not.toBe(49407);
  });
});
