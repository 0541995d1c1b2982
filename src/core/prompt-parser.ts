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
 */

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

export function parsePromptAttention(text: string): PromptFragment[] {
  const res: PromptFragment[] = [];
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];
  const multiplyRange = (start: number, multiplier: number) => {
    for (let p = start; p < res.length; p++) res[p][1] *= multiplier;
  };

  const re = new RegExp(ATTENTION.source, ATTENTION.flags);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const token = m[0];
    const weightText = m[1];
    if (token.startsWith('\\')) {
      res.push([token.slice(1), 1.0]);
    } else if (token === '(') {
      roundBrackets.push(res.length);
    } else if (token === '[') {
      squareBrackets.push(res.length);
    } else if (weightText !== undefined && roundBrackets.length > 0) {
      const weight = pythonFloat(weightText);
      if (weight === null) {
        // Not a number (A1111 raises here): keep ":" as text and read on after it.
        res.push([':', 1.0]);
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
        if (i > 0) res.push(['BREAK', BREAK_WEIGHT]);
        res.push([part, 1.0]);
      }
    }
  }
  for (const pos of roundBrackets) multiplyRange(pos, ROUND_BRACKET_MULTIPLIER);
  for (const pos of squareBrackets) multiplyRange(pos, SQUARE_BRACKET_MULTIPLIER);

  if (res.length === 0) return [['', 1.0]];
  // Merge runs of identical weights.
  let i = 0;
  while (i + 1 < res.length) {
    if (res[i][1] === res[i + 1][1]) {
      res[i][0] += res[i + 1][0];
      res.splice(i + 1, 1);
    } else {
      i += 1;
    }
  }
  return res;
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
