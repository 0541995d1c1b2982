/**
 * The live token counter's text: CLIP reads at most 77 tokens, BOS and EOS included, so a prompt has
 * 75 of its own; the rest is cut off and the user should hear which part is ignored.
 */
import type { Tokenized } from '../engine/tokenizer.js';

export type TokenLevel = 'ok' | 'near' | 'over';

export interface TokenCountView {
  /** Short counter, e.g. "12/75". */
  text: string;
  level: TokenLevel;
  /** A sentence for the accessible label and the warning, e.g. "80 tokens: the last 5 are ignored." */
  message: string;
}

/** "Near" starts at 90% of the limit, so the warning comes before words are lost. */
const NEAR_FRACTION = 0.9;

export function formatTokenCount({ tokenCount, maxTokens, truncated }: Pick<Tokenized, 'tokenCount' | 'maxTokens' | 'truncated'>): TokenCountView {
  const text = `${tokenCount}/${maxTokens}`;
  if (truncated) {
    const over = tokenCount - maxTokens;
    return { text, level: 'over', message: `${tokenCount} tokens: the limit is ${maxTokens}, so the last ${over} ${over === 1 ? 'is' : 'are'} ignored. Shorten the prompt.` };
  }
  const level: TokenLevel = tokenCount >= Math.ceil(maxTokens * NEAR_FRACTION) ? 'near' : 'ok';
  return { text, level, message: `${tokenCount} of ${maxTokens} tokens used.` };
}

/** Shown before a model (and so its tokenizer) is loaded. */
export const NO_TOKENIZER: TokenCountView = { text: '–/75', level: 'ok', message: 'Tokens are counted once the model is loaded.' };
