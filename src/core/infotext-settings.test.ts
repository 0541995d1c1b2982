/**
 * The linear settings-line scanner against A1111's `re_param` (modules/infotext_utils.py), run
 * here as the JavaScript regex it translates to, on generated lines made of the characters that
 * steer that pattern (key characters, spaces, ':', ',', quotes, backslashes, line breaks,
 * non-ASCII letters and an astral letter); and the scanner's work, bounded per character.
 */
import { describe, expect, it } from 'vitest';
import { settingsPairs, type ScanWork } from './infotext-settings.js';
import { parseParameters } from './parameters.js';
import { mulberry32 as random } from '../testing/mulberry32.js';

/** A1111's re_param, as parameters.ts used it before the scanner (quadratic on long key runs). */
const RE_PARAM = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
const byRegex = (line: string) => [...line.matchAll(RE_PARAM)].map((m) => [m[1], m[2]]);

const ALPHABET = ['a', 'b', 'S', '7', '_', ' ', ' ', ':', ':', ',', ',', '"', '"', '\\', '\n', '\t', '-', '/', 'é', '中', '𝐀', '\u00a0', '.'];

describe('settingsPairs', () => {
  it('finds what re_param finds, on 20 000 generated lines', () => {
    const next = random(12);
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(next() * 48);
      let line = '';
      for (let j = 0; j < length; j++) line += ALPHABET[Math.floor(next() * ALPHABET.length)];
      expect(settingsPairs(line), JSON.stringify(line)).toEqual(byRegex(line));
    }
  });

  it('finds what re_param finds, on 20 000 lines generated from settings-like pieces', () => {
    const pieces = [
      'Model: "a, b", ',
      'Note: "x\\"y: z"',
      'Steps',
      'CFG scale',
      'a',
      ': ',
      ':',
      ', ',
      ',',
      ' ',
      '"',
      '"x, y"',
      '\\"',
      '\\',
      '\n',
      '20',
      'é',
      '𝐀',
      '-',
      '/',
    ];
    const next = random(34);
    let quoted = 0;
    for (let i = 0; i < 20_000; i++) {
      const count = Math.floor(next() * 16);
      let line = '';
      for (let j = 0; j < count; j++) line += pieces[Math.floor(next() * pieces.length)];
      const pairs = settingsPairs(line);
      expect(pairs, JSON.stringify(line)).toEqual(byRegex(line));
      if (pairs.some(([, value]) => value.length > 1 && value.startsWith('"') && value.endsWith('"'))) quoted++;
    }
    expect(quoted).toBeGreaterThan(2000); // the JSON-string branch is exercised, not only the comma one
  });

  it('finds what re_param finds on real settings lines', () => {
    const lines = [
      'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b',
      'Steps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 512x768, Model: "my model, v2", Version: v1.6.0, Note: "a: \\"b\\""',
      'Steps : 20,Sampler:Euler,  Lora hashes: "add_detail: 7c6bad76eb54, x: 1", Hires upscale: 2, TI hashes: "",Template: "a\\nb"',
      'Steps: 20, Prompt: "unterminated, Seed: 1, Size: 64x64',
    ];
    for (const line of lines) expect(settingsPairs(line)).toEqual(byRegex(line));
  });

  it('examines each character a bounded number of times, whatever the line (no timing)', () => {
    const n = 1 << 16; // 64 KiB per family: a scanner that restarts inside a run would take ~n²/2 steps
    const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
    const families = {
      'one word run without a colon (the issue-12 case)': fill('word and more words '),
      'letters only': fill('a'),
      'spaces between letters': fill('a '),
      'keys whose values are unterminated JSON strings': fill('k: "x, '),
      'escaped quotes': fill('k: "\\"\\", '),
      'colons without keys': fill(': '),
      'settings repeated': fill('Steps: 20, Sampler: Euler a, '),
      'non-ASCII letters': fill('中文 é 𝐀 '),
    };
    for (const [name, line] of Object.entries(families)) {
      const work: ScanWork = { steps: 0 };
      settingsPairs(line, work);
      expect(work.steps, name).toBeLessThanOrEqual(3 * line.length);
    }
  });

  it('reads a 1 MB parameters text that is one long line without commas as a prompt', () => {
    const text = 'a lighthouse in a storm '.repeat(43_700);
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(() => parseParameters(text)).toThrow(/no "Steps" setting/);
    const withSettings = `${text}\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512`;
    expect(parseParameters(withSettings)).toMatchObject({ prompt: text.trim(), steps: 20, sampler: 'Euler a', seed: 1 });
  });
});
