/**
 * Issue 25's probes of the command line, run as a user runs it (a child process through tsx): each
 * one failed before its fix (exit 1 with a raw error, a file lost or left half-written, or minutes of
 * work) and must now be refused up front with exit 2 and one line that names the real reason.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliFailure as fails } from '../testing/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-reliab-'));

describe('issue 25 item 1: --out and --raw naming one file by two spellings', () => {
  it.each([
    ['a/./o.png', (d: string) => `${d}/./o.png`],
    ['sub/../o.png', (d: string) => `${d}/sub/../o.png`],
  ])('--raw %s is refused before any work, and the old picture is kept', async (_, rawPath) => {
    const d = mkdtempSync(join(dir, 'same-'));
    mkdirSync(join(d, 'sub'));
    const out = join(d, 'o.png');
    writeFileSync(out, 'old picture');
    const failure = await fails('generate', '--prompt', 'x', '--steps', '1', '--out', out, '--raw', rawPath(d));
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toMatch(/^InvalidRequestError: --out .*o\.png and --raw .*o\.png name the same file; give each output its own file\.$/);
    expect(readFileSync(out, 'utf8')).toBe('old picture');
    expect(readdirSync(d).sort()).toEqual(['o.png', 'sub']);
  });
});

describe('issue 25 item 11: noise and encode check --out up front, exit 2, and write whole files', () => {
  it.each([
    ['noise', ['noise', '--seed', '0', '--shape', '1,4,8,8']],
    ['encode', ['encode', 'a cat']],
  ])('%s: a missing folder or a folder as --out is refused with exit 2 and one line', async (_, command) => {
    const missing = await fails(...command, '--out', join(dir, 'nonexistent', 'x.f32'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^InvalidRequestError: --out .*nonexistent.*does not exist; create it first\.$/);
    const folder = await fails(...command, '--out', dir);
    expect(folder.code).toBe(2);
    expect(folder.stderr.trim()).toMatch(/^InvalidRequestError: --out .* is a folder; give a file name\.$/);
  });
});

describe('issue 25 item 12: a malformed tokenizer/tokenizer.json', () => {
  it('is a model-folder problem: exit 2, the file named', async () => {
    const model = mkdtempSync(join(dir, 'bad-tokenizer-'));
    cpSync('fixtures/tiny-sd-fp32/tokenizer', join(model, 'tokenizer'), { recursive: true });
    writeFileSync(join(model, 'tokenizer', 'tokenizer.json'), '{"model": {');
    const failure = await fails('tokenize', '--model', model, 'a cat');
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toMatch(
      /^ModelFormatError: The model ".*": tokenizer\/tokenizer\.json is not valid JSON \(.*\)\. Download or export the tokenizer again\.$/,
    );
  });
});

describe('issue 25 item 8: input that is not finite is bad input, not damaged weights', () => {
  it('an all-NaN --latents file: exit 2 before any work, the latents named', async () => {
    const latents = join(dir, 'nan.f32');
    writeFileSync(latents, new Uint8Array(new Float32Array(4 * 16 * 16).fill(Number.NaN).buffer));
    const failure = await fails('generate', '--prompt', 'x', '--latents', latents, '--out', join(dir, 'nan-latents.png'));
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toBe('InvalidRequestError: --latents: Initial latents must be finite numbers: value 0 of 1024 is NaN (all are NaN).');
  });

  it('10,000 nested brackets with --prompt-syntax a1111: exit 2, the nesting named', async () => {
    const failure = await fails('generate', '--prompt', `${'('.repeat(10_000)}a`, '--prompt-syntax', 'a1111', '--seed', '1', '--out', join(dir, 'deep.png'));
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toMatch(
      /^InvalidRequestError: --prompt: The prompt: Emphasis is nested 10000 brackets deep at character 10001; at most 100 are read/,
    );
  });
});

describe('issue 25 item 7: step counts the scheduler cannot run', () => {
  it('--steps 1000 (pndm) and --scheduler dpmpp_2m --steps 999 on shapes-sd: exit 2 with the largest count that works', async () => {
    const pndm = await fails('generate', '--prompt', 'x', '--seed', '1', '--steps', '1000', '--out', join(dir, 'steps.png'));
    expect(pndm.code).toBe(2);
    expect(pndm.stderr.trim()).toMatch(/^InvalidRequestError: --steps: Steps: the pndm scheduler takes at most 999 with this model's schedule \(got 1000;/);
    const dpm = await fails('generate', '--prompt', 'x', '--seed', '1', '--scheduler', 'dpmpp_2m', '--steps', '999', '--out', join(dir, 'steps.png'));
    expect(dpm.stderr.trim()).toMatch(/at most 998 .*\(got 999;/);
  });
});

describe('issue 25, smaller: the unknown-command message', () => {
  it('lists all five commands', async () => {
    const failure = await fails('frobnicate');
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toBe(
      'InvalidRequestError: Unknown command "frobnicate": use generate, parse-prompt, encode, tokenize, noise or help (npm run cli -- help).',
    );
  });
});

describe('issue 25 item 10 and smaller: pictures are judged by their header before decoding', () => {
  it.each([
    [
      'a 16000x16000 PNG (the header alone)',
      'huge.png',
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0x3e, 0x80, 0, 0, 0x3e, 0x80, 8, 6, 0, 0, 0]),
      /is 16000x16000; pictures up to 2048x2048 are read: resize it first \(it was not decoded\)\.$/,
    ],
    [
      'a GIF',
      'x.gif',
      Uint8Array.from([...'GIF89a'].map((c) => c.charCodeAt(0)).concat([1, 0, 1, 0, 0, 0, 0, 0x3b])),
      /cannot be used: it is a GIF file\. Give a PNG, JPEG or WebP file\.$/,
    ],
  ])('--init-image with %s: exit 2, one line', async (_, name, bytes, message) => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const failure = await fails('generate', '--prompt', 'x', '--seed', '1', '--init-image', file, '--out', join(dir, 'img.png'));
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toMatch(new RegExp(`^InvalidRequestError: --init-image ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ${message.source}`));
  });
});

describe('issue 25 item 6: a size the wasm heap cannot hold', () => {
  it('--runtime wasm --width 768 --height 768 on shapes-sd: ModelTooLargeError before any work, exit 2, the largest size named', async () => {
    const failure = await fails(
      'generate',
      '--prompt',
      'x',
      '--seed',
      '1',
      '--steps',
      '1',
      '--width',
      '768',
      '--height',
      '768',
      '--runtime',
      'wasm',
      '--out',
      join(dir, 'big.png'),
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toMatch(/^ModelTooLargeError: .*shapes-sd-fp32 at 768x768 needs about .* The largest size that fits is 704x704 /);
    expect(failure.stderr).not.toContain('step 1/');
  });
});
