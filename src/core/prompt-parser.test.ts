/**
 * parsePromptAttention against A1111's parse_prompt_attention as re-implemented in Python:
 * fixtures/a1111-prompts/public/manifest.json (../shared/tools/make_a1111_refs.py: A1111's doctests + BREAK) and
 * fixtures/a1111-prompts/extra/manifest.json (tools/make_a1111_prompt_refs.py, the same function on 45 more
 * prompts: nesting, negative and signed weights, escapes, unicode, BREAK at the edges and inside brackets).
 * Texts must be equal, weights within 1e-9.
 */
import { describe, expect, it } from 'vitest';
import { readJson } from '../testing/reference-data.js';
import { MAX_EMPHASIS_DEPTH, parsePromptAttention, pythonFloat, type PromptFragment } from './prompt-parser.js';

interface ParseCase {
  prompt: string;
  fragments: PromptFragment[];
}

function expectFragments(actual: PromptFragment[], expected: PromptFragment[], label: string) {
  expect(
    actual.map(([text]) => text),
    label,
  ).toEqual(expected.map(([text]) => text));
  for (const [i, [, weight]] of expected.entries()) {
    expect(Math.abs(actual[i][1] - weight), `${label}: weight of fragment ${i}`).toBeLessThanOrEqual(1e-9);
  }
}

describe.each(['public', 'extra'])('parsePromptAttention vs the Python reference (%s)', (set) => {
  const { parse } = readJson<{ parse: ParseCase[] }>(`fixtures/a1111-prompts/${set}/manifest.json`);
  it.each(parse.map((c) => [JSON.stringify(c.prompt), c] as const))('%s', (_, c) => {
    expectFragments(parsePromptAttention(c.prompt), c.fragments, c.prompt);
  });
});

describe('parsePromptAttention beyond A1111', () => {
  it('keeps a weight that is not a number as text (A1111 raises) and still closes the bracket', () => {
    expectFragments(parsePromptAttention('(d:1.2.3)'), [['d:1.2.3', 1.1]], '(d:1.2.3)');
    expectFragments(
      parsePromptAttention('a (b:.) c'),
      [
        ['a ', 1],
        ['b:.', 1.1],
        [' c', 1],
      ],
      '(b:.)',
    );
    expectFragments(
      parsePromptAttention('x (d:1.2.3:0.5) y'),
      [
        ['x ', 1],
        ['d:1.2.3', 0.5],
        [' y', 1],
      ],
      'invalid then valid',
    );
  });

  it('multiplies weights in A1111 order, so nested products match Python bit for bit', () => {
    const [[, w]] = parsePromptAttention('(((sky)))');
    expect(w).toBe(1.1 * 1.1 * 1.1);
    expect(parsePromptAttention('[x]')[0][1]).toBe(1 / 1.1);
  });
});

describe('pythonFloat', () => {
  it('accepts what Python float() accepts for [+-]?[.\\d]+ and rejects the rest', () => {
    expect(pythonFloat('1.')).toBe(1);
    expect(pythonFloat('.5')).toBe(0.5);
    expect(pythonFloat('-0.25')).toBe(-0.25);
    expect(pythonFloat('+2')).toBe(2);
    expect(pythonFloat('\u0661.\u0665')).toBe(1.5); // Arabic-Indic digits, as Python's \d and float() read them
    expect(pythonFloat('1.2.3')).toBeNull();
    expect(pythonFloat('.')).toBeNull();
    expect(pythonFloat('-')).toBeNull();
  });
});

describe('parsePromptAttention work (issue 25 item 9: A1111 is quadratic in the nesting and in the merge)', () => {
  const n = 1 << 17; // 128 Ki characters per family: a quadratic parser takes ~n²/4 steps here
  const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  it.each([
    ['escaped brackets (the merge: one fragment each)', fill('\\(')],
    ['brackets opened and closed around each word', fill('(a) ')],
    ['square and round brackets interleaved', fill('[a(b)]')],
    ['weights', fill('(a:1.2) ')],
    ['BREAK between words', fill('a BREAK ')],
    ['a hundred open brackets, then text closed around each word', '('.repeat(99) + fill('a(b)')],
  ])('%s: at most 3 steps per character, plus the nesting limit per group', (_, prompt) => {
    const work = { steps: 0 };
    parsePromptAttention(prompt, work);
    expect(work.steps).toBeLessThanOrEqual(3 * prompt.length + MAX_EMPHASIS_DEPTH * Math.ceil(prompt.length / 2));
    if (!prompt.startsWith('((')) expect(work.steps).toBeLessThanOrEqual(3 * prompt.length);
  });

  it('refuses text nested deeper than MAX_EMPHASIS_DEPTH, early (the "(a" repeated probe)', () => {
    const work = { steps: 0 };
    expect(() => parsePromptAttention(fill('(a'), work)).toThrow(/nested 101 brackets deep at character 202; at most 100 are read/);
    expect(work.steps).toBeLessThanOrEqual(3 * 202);
    expect(() => parsePromptAttention(`${'('.repeat(10_000)}a`)).toThrow(/nested 10000 brackets deep/);
    expect(parsePromptAttention(`${'('.repeat(100)}a${')'.repeat(100)}`)).toEqual([['a', Array.from({ length: 100 }).reduce<number>((w) => w * 1.1, 1)]]);
  });
});
