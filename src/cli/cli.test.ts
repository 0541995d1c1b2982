/**
 * The command line as a user runs it (a child process through tsx), checked against diffusers'
 * reference data: fixtures/refs (tiny-sd, from given latents) and fixtures/shapes-refs (seed 0).
 * PNG pixels: within 1/255 of round(reference * 255) (the quantisation step; any real error shows
 * as more). --raw: float image max abs <= 2e-3 (fp32; issue's bound) or <= 5e-3 (fp16 model).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliFailure as fails, readRefsManifest, refsCaseFlags } from '../testing/cli-run.js';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import { pngLevelError } from '../testing/png-decode.js';
import { maxAbsDiff, readF32 } from '../testing/reference-data.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-'));

const manifest = readRefsManifest();

describe('npm run cli -- generate', () => {
  it.each([
    ['tiny-sd-fp32', 2e-3],
    ['tiny-sd-fp16', 5e-3],
  ])('%s from given latents matches diffusers (raw max abs <= %s)', async (model, tolerance) => {
    const c = manifest.cases[0];
    const out = join(dir, `${model}.png`);
    const raw = join(dir, `${model}.f32`);
    await cli('generate', '--model', `fixtures/${model}`, ...refsCaseFlags(manifest, c), '--out', out, '--raw', raw);
    const reference = readF32(`fixtures/${c.image.file}`);
    const rawError = maxAbsDiff(readF32(raw), reference);
    const levels = pngLevelError(readFileSync(out), reference);
    console.log(`${model}: raw max abs ${rawError.toExponential(2)}, PNG max ${levels} level(s) from the quantised reference`);
    expect(rawError).toBeLessThanOrEqual(tolerance);
    expect(levels).toBeLessThanOrEqual(1);
  });

  it('generates the bundled default with seed and writes A1111 parameters', async () => {
    const out = join(dir, 'shapes.png');
    const { stderr } = await cli('generate', '--prompt', 'a red circle on a blue background', '--seed', '0', '--steps', '20', '--out', out);
    // PNDM: 21 UNet calls, counted as diffusers' progress bar counts them (20 steps); stderr is a pipe here: one line per step.
    expect(stderr.split('\n').filter((line) => line.startsWith('step '))).toEqual(Array.from({ length: 20 }, (_, k) => `step ${k + 1}/20`));
    expect(stderr).not.toContain('\r');
    const png = readFileSync(out);
    expect(pngLevelError(png, readF32('fixtures/shapes-refs/prompt0_seed0_torch_cpu.f32'))).toBeLessThanOrEqual(1);
    const parameters = parseParameters(readPngTextChunks(png).parameters);
    expect(parameters).toMatchObject({
      prompt: 'a red circle on a blue background',
      steps: 20,
      sampler: 'PNDM',
      guidanceScale: 7.5,
      seed: 0,
      width: 128,
      height: 128,
      model: 'shapes-sd-fp32',
    });
  });

  it('tokenize prints the 77 ids', async () => {
    const { stdout } = await cli('tokenize', '--model', 'fixtures/tiny-sd-fp16', 'a photograph of an astronaut riding a horse');
    const ids = (JSON.parse(stdout) as { input_ids: number[] }).input_ids;
    expect(ids.slice(0, 10)).toEqual([49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407]);
    expect(ids).toHaveLength(77);
  });

  it('noise writes torch.randn for the seed', async () => {
    const out = join(dir, 'noise.f32');
    await cli('noise', '--seed', '0', '--shape', '1,4,16,16', '--out', out);
    expect(maxAbsDiff(readF32(out), readF32('fixtures/shapes-refs/latents_seed0.f32'))).toBeLessThanOrEqual(1e-6);
  });

  it('explains bad input and exits with code 2', async () => {
    const failure = await fails('generate', '--prompt', 'x', '--width', '100', '--out', join(dir, 'bad.png'));
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('multiple of 32 for this model') });
    const missing = await fails('generate', '--model', dir, '--prompt', 'x', '--out', join(dir, 'bad.png'));
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('model_index.json') });
  });
});

const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('issue 12: CLI input and output handling', () => {
  it('item 3: a size the UNet cannot take is refused before any work, with the nearest valid sizes', async () => {
    const failure = await fails('generate', '--prompt', 'x', '--width', '120', '--out', join(dir, 'w120.png'));
    expect(failure.code).toBe(2);
    expect(oneLine(failure.stderr)).toEqual([
      "InvalidRequestError: --width: Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 120).",
    ]);
    expect(existsSync(join(dir, 'w120.png'))).toBe(false);
  });

  it.each([
    ['--out into a missing folder', ['--out', join(dir, 'missing', 'x.png')], /^InvalidRequestError: --out .*missing.*does not exist; create it first\.$/],
    [
      '--raw into a missing folder',
      ['--out', join(dir, 'raw-missing.png'), '--raw', join(dir, 'missing', 'x.f32')],
      /^InvalidRequestError: --raw .*does not exist; create it first\.$/,
    ],
    [
      '--latents pointing nowhere',
      ['--out', join(dir, 'no-latents.png'), '--latents', join(dir, 'nowhere.f32')],
      /^InvalidRequestError: --latents .*nowhere\.f32: no such file\.$/,
    ],
    ['--out naming a folder', ['--out', dir], /^InvalidRequestError: --out .* is a folder; give a file name\.$/],
  ])('item 4: %s: one line, exit 2, before any work, nothing written', async (_, args, message) => {
    const failure = await fails('generate', '--prompt', 'x', '--steps', '1', ...args);
    expect(failure.code).toBe(2);
    expect(oneLine(failure.stderr)).toHaveLength(1);
    expect(failure.stderr.trim()).toMatch(message);
    expect(failure.stderr).not.toContain('step 1/'); // refused before generating
    expect(existsSync(join(dir, 'raw-missing.png'))).toBe(false);
  });

  it('item 2: a NaN VAE output: exit 1, the stage and cause named, no file written', async () => {
    // tiny-sd with vae_decoder/config.json's scaling_factor 0: the VAE decodes Inf latents to NaN (the reproduction).
    const model = mkdtempSync(join(tmpdir(), 'sd-nan-vae-'));
    for (const part of ['model_index.json', 'scheduler', 'text_encoder', 'tokenizer', 'unet'])
      symlinkSync(resolve('fixtures/tiny-sd-fp32', part), join(model, part));
    mkdirSync(join(model, 'vae_decoder'));
    symlinkSync(resolve('fixtures/tiny-sd-fp32/vae_decoder/model.onnx'), join(model, 'vae_decoder', 'model.onnx'));
    writeFileSync(join(model, 'vae_decoder', 'config.json'), JSON.stringify({ scaling_factor: 0 }));
    const out = join(dir, 'nan.png');
    const raw = join(dir, 'nan.f32');
    const failure = await fails('generate', '--model', model, '--prompt', 'x', '--steps', '1', '--width', '64', '--height', '64', '--out', out, '--raw', raw);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/NonFiniteOutputError: The VAE decoder \(stage: decode\) produced NaN\/Inf pixels .*use the fp32 VAE.*No image was made\./);
    expect(existsSync(out) || existsSync(raw)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('item 5: an empty prompt generates (unconditional, as diffusers); a missing --prompt stays an error', async () => {
    const out = join(dir, 'empty.png');
    await cli('generate', '--prompt', '', '--seed', '1', '--steps', '1', '--out', out);
    expect(parseParameters(readPngTextChunks(readFileSync(out)).parameters)).toMatchObject({ prompt: '', seed: 1, steps: 1 });
    const missing = await fails('generate', '--seed', '1', '--out', join(dir, 'no-prompt.png'));
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--prompt is required') });
  });

  it('item 7: an over-long prompt is cut with a warning on stderr', async () => {
    const long = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ');
    const { stderr } = await cli('generate', '--prompt', long, '--seed', '1', '--steps', '1', '--out', join(dir, 'long.png'));
    expect(stderr).toMatch(/warning: --prompt has \d+ tokens; the text encoder reads the first 75, the rest is cut/);
    const short = await cli('generate', '--prompt', 'a cat', '--seed', '1', '--steps', '1', '--out', join(dir, 'short.png'));
    expect(short.stderr).not.toContain('warning');
  });
});
