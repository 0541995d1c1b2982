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
    expect(view.message).toBe('80 tokens: the limit is 75, so the last 5 are ignored. Shorten the prompt.');
    expect(formatTokenCount({ tokenCount: 76, maxTokens: 75, truncated: true }).message).toContain('the last 1 is ignored');
  });
});
