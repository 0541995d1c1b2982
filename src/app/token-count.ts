/**
 * The live token counter's text. plain: CLIP reads at most 77 tokens, BOS and EOS included, so a
 * prompt has 75 of its own; the rest is cut off and the user should hear which part is ignored.
 * a1111: AUTOMATIC1111's counter, `N/75`, `N/150`, ...: a longer prompt takes another 77-token chunk
 * (BREAK and the comma backtrack start one early), up to the engine's limit of chunks.
 */
import { CHUNK_LENGTH } from '../core/prompt-chunks.js';
import { MAX_PROMPT_CHUNKS, type PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from '../engine/text/tokenizer.js';

export type TokenLevel = 'ok' | 'near' | 'over';

export interface TokenCountView {
  /** Short counter, e.g. "12/75" or "101/150". */
  text: string;
  level: TokenLevel;
  /** A sentence for the accessible label and the warning, e.g. "80 tokens: the last 5 are ignored." */
  message: string;
}

/** "Near" starts at 90% of the limit, so the warning comes before words are lost. */
const NEAR_FRACTION = 0.9;

export function formatTokenCount(
  { tokenCount, maxTokens, truncated, chunks }: Pick<Tokenized, 'tokenCount' | 'maxTokens' | 'truncated'> & Partial<Pick<Tokenized, 'chunks'>>,
  syntax: PromptSyntax = 'plain',
): TokenCountView {
  const text = `${tokenCount}/${maxTokens}`;
  if (syntax === 'a1111') {
    const count = chunks?.length ?? Math.max(1, Math.ceil(tokenCount / CHUNK_LENGTH));
    const limit = MAX_PROMPT_CHUNKS * CHUNK_LENGTH;
    if (count > MAX_PROMPT_CHUNKS) {
      return {
        text,
        level: 'over',
        message: `${tokenCount} tokens in ${count} chunks: the limit is ${MAX_PROMPT_CHUNKS} chunks (${limit} tokens). Shorten the prompt.`,
      };
    }
    const level: TokenLevel = count === MAX_PROMPT_CHUNKS && tokenCount >= Math.ceil(limit * NEAR_FRACTION) ? 'near' : 'ok';
    if (count === 1) return { text, level, message: `${tokenCount} of ${CHUNK_LENGTH} tokens used.` };
    return { text, level, message: `${tokenCount} tokens in ${count} chunks of ${CHUNK_LENGTH}, each encoded on its own and joined (AUTOMATIC1111).` };
  }
  if (truncated) {
    const over = tokenCount - maxTokens;
    return {
      text,
      level: 'over',
      message: `${tokenCount} tokens: the limit is ${maxTokens}, so the last ${over} ${over === 1 ? 'is' : 'are'} ignored. Shorten the prompt, or use the AUTOMATIC1111 syntax, which reads long prompts in chunks.`,
    };
  }
  const level: TokenLevel = tokenCount >= Math.ceil(maxTokens * NEAR_FRACTION) ? 'near' : 'ok';
  return { text, level, message: `${tokenCount} of ${maxTokens} tokens used.` };
}

/** Shown before a model (and so its tokenizer) is loaded. */
export const NO_TOKENIZER: TokenCountView = { text: '–/75', level: 'ok', message: 'Tokens are counted once the model is loaded.' };
