/**
 * AUTOMATIC1111's 77-token chunks (stable-diffusion-webui modules/sd_hijack_clip.py `tokenize_line`;
 * re-implemented in ../shared/tools/make_a1111_refs.py): each fragment's tokens, with the fragment's
 * weight, fill chunks of 75; when a chunk is full and a comma appeared in its last 20 tokens, the
 * tokens after that comma move to the next chunk; BREAK closes the chunk; each chunk is padded with EOS
 * to 75 and framed BOS + 75 + EOS, weight 1 on the frame and the padding.
 * Tokenisation is injected (the engine's CLIP tokenizer), so this stays pure.
 */
import { isBreak, type PromptFragment } from './prompt-parser.js';

/** Prompt tokens per chunk (77 minus BOS and EOS). */
export const CHUNK_LENGTH = 75;
/** A1111's default `comma_padding_backtrack`. */
export const COMMA_BACKTRACK = 20;

export interface ChunkTokens {
  /** BOS, CHUNK_LENGTH prompt tokens or EOS padding, EOS: CHUNK_LENGTH + 2 ids. */
  ids: number[];
  /** One weight per id. */
  weights: number[];
  /** Prompt tokens in this chunk (before padding). */
  tokenCount: number;
}

export interface ChunkedPrompt {
  chunks: ChunkTokens[];
  /** A1111's count: CHUNK_LENGTH for every chunk but the last, plus the last one's tokens. */
  tokenCount: number;
  /** A1111's target: the count rounded up to a whole number of chunks (at least one), e.g. 150. */
  maxTokens: number;
}

export interface SpecialTokens {
  bos: number;
  eos: number;
  /** The id of ",</w>", or -1 when the vocabulary has none. */
  comma: number;
}

/**
 * Chunks for parsed fragments; `tokenize` gives one fragment's ids without BOS/EOS.
 * The loop is A1111's, statement for statement, so edge cases (a comma exactly at the boundary,
 * BREAK first or last, several BREAKs) come out the same.
 */
export function chunkPrompt(fragments: readonly PromptFragment[], tokenize: (text: string) => readonly number[], special: SpecialTokens): ChunkedPrompt {
  const chunks: ChunkTokens[] = [];
  let tokens: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;
  let tokenCount = 0;

  const nextChunk = (isLast = false) => {
    tokenCount += isLast ? tokens.length : CHUNK_LENGTH;
    const toAdd = CHUNK_LENGTH - tokens.length;
    chunks.push({
      ids: [special.bos, ...tokens, ...new Array<number>(toAdd).fill(special.eos), special.eos],
      weights: [1, ...weights, ...new Array<number>(toAdd + 1).fill(1)],
      tokenCount: tokens.length,
    });
    tokens = [];
    weights = [];
    lastComma = -1;
  };

  for (const fragment of fragments) {
    if (isBreak(fragment)) {
      nextChunk();
      continue;
    }
    const [text, weight] = fragment;
    for (const token of tokenize(text)) {
      if (token === special.comma) {
        lastComma = tokens.length;
      } else if (tokens.length === CHUNK_LENGTH && lastComma !== -1 && tokens.length - lastComma <= COMMA_BACKTRACK) {
        // Full, with a comma in the last 20 tokens: what follows the comma starts the next chunk.
        const breakAt = lastComma + 1;
        const restTokens = tokens.slice(breakAt);
        const restWeights = weights.slice(breakAt);
        tokens = tokens.slice(0, breakAt);
        weights = weights.slice(0, breakAt);
        nextChunk();
        tokens = restTokens;
        weights = restWeights;
      }
      if (tokens.length === CHUNK_LENGTH) nextChunk();
      tokens.push(token);
      weights.push(weight);
    }
  }
  if (tokens.length > 0 || chunks.length === 0) nextChunk(true);

  return { chunks, tokenCount, maxTokens: Math.ceil(Math.max(tokenCount, 1) / CHUNK_LENGTH) * CHUNK_LENGTH };
}
