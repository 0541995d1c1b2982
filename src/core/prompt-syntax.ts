/**
 * How a prompt's text is read:
 *   plain  diffusers: the text as written, one 77-token chunk, cut after 75 tokens (the CLI's default,
 *          so diffusers parity holds)
 *   a1111  AUTOMATIC1111: `(word:1.3)` / `[word]` emphasis, `\(` literals, BREAK, and prompts longer
 *          than 75 tokens in 77-token chunks (what users paste; the app's and the element's default)
 */
import { InvalidRequestError } from './errors.js';

export const PROMPT_SYNTAXES = ['plain', 'a1111'] as const;
export type PromptSyntax = (typeof PROMPT_SYNTAXES)[number];

/**
 * The most 77-token chunks one prompt may use: 8 chunks = 600 prompt tokens. Cross-attention and
 * the text encoder grow linearly with it; A1111 has no limit, but a prompt this long is almost always
 * a paste error, and a fixed bound keeps memory predictable on phones.
 */
export const MAX_PROMPT_CHUNKS = 8;

export function isPromptSyntax(value: unknown): value is PromptSyntax {
  return typeof value === 'string' && (PROMPT_SYNTAXES as readonly string[]).includes(value);
}

export function checkPromptSyntax(value: unknown, name = 'promptSyntax'): PromptSyntax {
  if (!isPromptSyntax(value)) throw new InvalidRequestError(`${name} must be one of ${PROMPT_SYNTAXES.join(', ')} (got ${JSON.stringify(value)}).`);
  return value;
}
