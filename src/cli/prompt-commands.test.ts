/**
 * The CLI's prompt contract, run as a user runs it (child process through tsx), against the A1111
 * references in fixtures/a1111-prompts/public (../shared/tools/make_a1111_refs.py, torch 2.13 CPU):
 * parse-prompt fragments (weights within 1e-9), encode's conditioning (max abs <= 1e-4), and generate
 * --prompt-syntax a1111 on the 101-token prompt (float image max abs <= 2e-3, PNG records the syntax).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli-run.js';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import type { PromptFragment } from '../core/prompt-parser.js';
import { maxAbsDiff, readF32, readJson } from '../testing/reference-data.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-prompts-'));
const REFS = 'fixtures/a1111-prompts/public';
const manifest = readJson<{
  parse: { prompt: string; fragments: PromptFragment[] }[];
  cases: { id: string; prompt: string; negative_prompt: string; seed: number; steps: number; cond: string; cond_shape: number[]; image: string }[];
}>(`${REFS}/manifest.json`);
const longCase = manifest.cases.find((c) => c.id === 'long_prompt')!;

describe('npm run cli -- parse-prompt / encode / generate --prompt-syntax', () => {
  it('parse-prompt prints the fragments as JSON', async () => {
    const c = manifest.parse.find((p) => p.prompt.includes('house'))!;
    const { stdout } = await cli('parse-prompt', c.prompt);
    const fragments = JSON.parse(stdout) as PromptFragment[];
    expect(fragments.map(([text]) => text)).toEqual(c.fragments.map(([text]) => text));
    fragments.forEach(([, w], i) => expect(Math.abs(w - c.fragments[i][1])).toBeLessThanOrEqual(1e-9));
    expect(JSON.parse((await cli('parse-prompt', '(d:1.2.3) BREAK x')).stdout)).toEqual([
      ['d:1.2.3', 1.1],
      ['', 1],
      ['BREAK', -1],
      ['x', 1],
    ]);
  });

  it('encode writes the a1111 conditioning [1, 154, 64] and prints its shape', async () => {
    const out = join(dir, 'cond.f32');
    const { stdout } = await cli('encode', '--prompt-syntax', 'a1111', '--out', out, longCase.prompt);
    expect(JSON.parse(stdout)).toEqual(longCase.cond_shape);
    expect(maxAbsDiff(readF32(out), readF32(`${REFS}/${longCase.cond}`))).toBeLessThanOrEqual(1e-4);
    const plain = join(dir, 'plain.f32');
    expect(JSON.parse((await cli('encode', '--out', plain, longCase.prompt)).stdout)).toEqual([1, 77, 64]);
  });

  it('generate --prompt-syntax a1111 makes the reference picture and records the syntax', async () => {
    const out = join(dir, 'long.png');
    const raw = join(dir, 'long.f32');
    await cli(
      'generate',
      '--prompt-syntax',
      'a1111',
      '--prompt',
      longCase.prompt,
      '--negative-prompt',
      longCase.negative_prompt,
      '--seed',
      String(longCase.seed),
      '--steps',
      String(longCase.steps),
      '--out',
      out,
      '--raw',
      raw,
    );
    expect(maxAbsDiff(readF32(raw), readF32(`${REFS}/${longCase.image}`))).toBeLessThanOrEqual(2e-3);
    expect(parseParameters(readPngTextChunks(readFileSync(out)).parameters)).toMatchObject({
      prompt: longCase.prompt,
      promptSyntax: 'a1111',
      seed: longCase.seed,
    });
  });

  it('refuses an unknown syntax and an over-long prompt with the limit (exit code 2)', async () => {
    const bad = await cli('encode', '--prompt-syntax', 'nai', '--out', join(dir, 'x.f32'), 'x').catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--prompt-syntax must be one of plain, a1111') });
    const long = Array.from({ length: 700 }, () => 'circle').join(' ');
    const tooLong = await cli('generate', '--prompt-syntax', 'a1111', '--prompt', long, '--out', join(dir, 'x.png')).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(tooLong).toMatchObject({ code: 2, stderr: expect.stringContaining('the limit is 8 chunks (600 tokens)') });
  });
});
