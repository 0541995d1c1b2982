/**
 * AUTOMATIC1111's prompt emphasis syntax, parsed as its `parse_prompt_attention` does
 * (stable-diffusion-webui modules/prompt_parser.py; re-implemented in ../shared/tools/make_a1111_refs.py):
 *
 *   (text)      weight x 1.1          [text]      weight / 1.1
 *   (text:1.3)  weight x 1.3 (the number matches `[+-]?[.\d]+`)
 *   \( \) \[ \] \\   literal characters    unclosed brackets apply to the end of the prompt
 *   BREAK       (the word, with the spaces around it) -> ["BREAK", -1]: starts a new 75-token chunk
 *
 * Runs of equal weight merge; an empty prompt is [["", 1]]. Python's regex semantics are kept where
 * they differ from JavaScript's: `\d` and `\w` are Unicode-aware and `\s` is str.isspace.
 * One deliberate difference: A1111 crashes on a weight that is not a number, e.g. `(d:1.2.3)`; here
 * the `:` and what follows stay text and the bracket closes as a plain `(...)`: [["d:1.2.3", 1.1]].
 * And one limit A1111 does not have: text nested deeper than MAX_EMPHASIS_DEPTH brackets is refused,
 * which keeps the work linear in the prompt's length (A1111's is quadratic in the nesting).
 */
import { InvalidRequestError } from './errors.js';

/** [text, weight]; `["BREAK", -1]` marks a chunk break. */
export type PromptFragment = [text: string, weight: number];

export const BREAK_WEIGHT = -1;
export const ROUND_BRACKET_MULTIPLIER = 1.1;
export const SQUARE_BRACKET_MULTIPLIER = 1 / 1.1;

/** A1111's re_attention, alternatives in its order; `\d` as Python's (any Unicode decimal digit). */
const ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:([+-]?[.\p{Nd}]+)\)|\)|\]|[^\\()[\]:]+|:/gu;

/** Python's `\s` on str (str.isspace) and `\w` (alphanumeric or underscore). */
const PY_SPACE = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_WORD = '[\\p{L}\\p{N}_]';
/** A1111's re_break, `\s*\bBREAK\b\s*`. */
const BREAK = new RegExp(`${PY_SPACE}*(?<!${PY_WORD})BREAK(?!${PY_WORD})${PY_SPACE}*`, 'u');

export function isBreak([text, weight]: PromptFragment): boolean {
  return text === 'BREAK' && weight === BREAK_WEIGHT;
}

/** Counts the parser's work (weight updates and merges), for tests that bound it (never time). */
export interface ParseWork {
  steps: number;
}

/**
 * Deepest emphasis read: text inside more than this many open brackets is refused (InvalidRequestError).
 * Each bracket multiplies the weights of the text it encloses once, in A1111's order, so the work is at
 * most this many multiplications per run of text; A1111's weight there would already be 1.1^100 = 13781.
 */
export const MAX_EMPHASIS_DEPTH = 100;

/**
 * A1111's parse_prompt_attention with its results and its order of floating-point multiplications,
 * in linear time: text between two bracket tokens is one group (every bracket that encloses one of its
 * fragments encloses all of them, and closes at the same time for all), so a closing bracket
 * multiplies each group's weight once instead of each fragment's, and runs of equal weight are merged
 * in one pass instead of by splicing.
 */
export function parsePromptAttention(text: string, work: ParseWork = { steps: 0 }): PromptFragment[] {
  const fragments: { text: string; group: number }[] = [];
  /** Per group: its weight (every fragment of a group has the same one). */
  const weights: number[] = [];
  /** Open brackets, as the index of the first group they enclose. */
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];
  let groupClosed = true;
  const push = (fragment: string, weight: number, at: number) => {
    if (groupClosed || weight !== weights[weights.length - 1]) {
      const depth = roundBrackets.length + squareBrackets.length;
      if (depth > MAX_EMPHASIS_DEPTH) {
        throw new InvalidRequestError(
          `Emphasis is nested ${depth} brackets deep at character ${at + 1}; at most ${MAX_EMPHASIS_DEPTH} are read (escape literal brackets as \\( \\)).`,
        );
      }
      weights.push(weight);
    }
    groupClosed = weight === BREAK_WEIGHT; // a BREAK is a group of its own
    fragments.push({ text: fragment, group: weights.length - 1 });
  };
  const multiplyRange = (start: number, multiplier: number) => {
    for (let g = start; g < weights.length; g++) weights[g] *= multiplier;
    work.steps += weights.length - start;
    groupClosed = true;
  };

  const re = new RegExp(ATTENTION.source, ATTENTION.flags);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    work.steps++;
    const token = m[0];
    const weightText = m[1];
    if (token.startsWith('\\')) {
      push(token.slice(1), 1.0, m.index);
    } else if (token === '(') {
      roundBrackets.push(weights.length);
      groupClosed = true;
    } else if (token === '[') {
      squareBrackets.push(weights.length);
      groupClosed = true;
    } else if (weightText !== undefined && roundBrackets.length > 0) {
      const weight = pythonFloat(weightText);
      if (weight === null) {
        // Not a number (A1111 raises here): keep ":" as text and read on after it.
        push(':', 1.0, m.index);
        re.lastIndex = m.index + 1;
      } else {
        multiplyRange(roundBrackets.pop()!, weight);
      }
    } else if (token === ')' && roundBrackets.length > 0) {
      multiplyRange(roundBrackets.pop()!, ROUND_BRACKET_MULTIPLIER);
    } else if (token === ']' && squareBrackets.length > 0) {
      multiplyRange(squareBrackets.pop()!, SQUARE_BRACKET_MULTIPLIER);
    } else {
      for (const [i, part] of token.split(BREAK).entries()) {
        if (i > 0) push('BREAK', BREAK_WEIGHT, m.index);
        push(part, 1.0, m.index);
      }
    }
  }
  for (const pos of roundBrackets) multiplyRange(pos, ROUND_BRACKET_MULTIPLIER);
  for (const pos of squareBrackets) multiplyRange(pos, SQUARE_BRACKET_MULTIPLIER);

  if (fragments.length === 0) return [['', 1.0]];
  // Merge runs of identical weights (A1111 compares the fragments' weights, as here).
  const res: PromptFragment[] = [];
  let run: string[] = [];
  let runWeight = weights[fragments[0].group];
  for (const { text: fragment, group } of fragments) {
    work.steps++;
    if (weights[group] !== runWeight) {
      res.push([run.join(''), runWeight]);
      run = [];
      runWeight = weights[group];
    }
    run.push(fragment);
  }
  res.push([run.join(''), runWeight]);
  return res;
}

/**
 * Why the text encoder cannot take `text`'s emphasis, or null: it nests deeper than MAX_EMPHASIS_DEPTH,
 * or a weight is not a finite float32 (`((a:1e39))`, or 1.1^10000 from 10,000 brackets), which would
 * turn the embeddings into Inf/NaN. For the request validator, in words a user can act on.
 */
export function emphasisProblem(text: string): string | null {
  let fragments: PromptFragment[];
  try {
    fragments = parsePromptAttention(text);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.message;
    throw error;
  }
  const bad = fragments.find((f) => !isBreak(f) && !Number.isFinite(Math.fround(f[1])));
  if (!bad) return null;
  const quoted = bad[0].length > 20 ? `${bad[0].slice(0, 20)}...` : bad[0];
  return `The emphasis on "${quoted}" multiplies to a weight of ${bad[1]}, which is not a finite number (float32): remove brackets or use a smaller (text:weight).`;
}

/**
 * Python's float() on a `[+-]?[.\d]+` match: any Unicode decimal digits, at most one dot, at least one
 * digit; null where Python would raise.
 */
export function pythonFloat(text: string): number | null {
  let ascii = '';
  for (const ch of text) ascii += /\p{Nd}/u.test(ch) ? String(decimalValue(ch)) : ch;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(ascii)) return null;
  return Number(ascii);
}

/** Unicode assigns decimal digits in contiguous runs 0..9, so the value is the distance from the run's start mod 10. */
function decimalValue(ch: string): number {
  let cp = ch.codePointAt(0)!;
  let offset = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(cp - 1))) {
    cp -= 1;
    offset += 1;
  }
  return offset % 10;
}
