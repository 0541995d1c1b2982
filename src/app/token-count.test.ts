import { describe, expect, it } from 'vitest';
import { formatTokenCount } from './token-count.js';

describe('formatTokenCount', () => {
  it('counts against the 75 prompt tokens CLIP leaves after BOS and EOS', () => {
    expect(formatTokenCount({ tokenCount: 12, maxTokens: 75, truncated: false })).toEqual({ text: '12/75', level: 'ok', message: '12 of 75 tokens used.' });
  });

  it('warns near the limit (90%) before anything is lost', () => {
    expect(formatTokenCount({ tokenCount: 68, maxTokens: 75, truncated: false }).level).toBe('near');
    expect(formatTokenCount({ tokenCount: 67, maxTokens: 75, truncated: false }).level).toBe('ok');
    expect(formatTokenCount({ tokenCount: 75, maxTokens: 75, truncated: false }).level).toBe('near');
  });

  it('says how many tokens are ignored when truncated', () => {
    const view = formatTokenCount({ tokenCount: 80, maxTokens: 75, truncated: true });
    expect(view.text).toBe('80/75');
    expect(view.level).toBe('over');
    expect(view.message).toBe(
      '80 tokens: the limit is 75, so the last 5 are ignored. Shorten the prompt, or use the AUTOMATIC1111 syntax, which reads long prompts in chunks.',
    );
    expect(formatTokenCount({ tokenCount: 76, maxTokens: 75, truncated: true }).message).toContain('the last 1 is ignored');
  });

  it("a1111: A1111's N/75, N/150 ... counter, never cut, refused past 8 chunks", () => {
    const chunk = (tokenCount: number) => ({ tokenCount, text: 'x' });
    expect(formatTokenCount({ tokenCount: 12, maxTokens: 75, truncated: false, chunks: [chunk(12)] }, 'a1111')).toEqual({
      text: '12/75',
      level: 'ok',
      message: '12 of 75 tokens used.',
    });
    expect(formatTokenCount({ tokenCount: 101, maxTokens: 150, truncated: false, chunks: [chunk(75), chunk(26)] }, 'a1111')).toEqual({
      text: '101/150',
      level: 'ok',
      message: '101 tokens in 2 chunks of 75, each encoded on its own and joined (AUTOMATIC1111).',
    });
    const nine = Array.from({ length: 9 }, () => chunk(75));
    expect(formatTokenCount({ tokenCount: 601, maxTokens: 675, truncated: false, chunks: nine }, 'a1111')).toMatchObject({
      level: 'over',
      message: '601 tokens in 9 chunks: the limit is 8 chunks (600 tokens). Shorten the prompt.',
    });
  });
});
