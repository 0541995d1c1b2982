/**
 * The command line as a user runs it (a child process through tsx), checked against diffusers'
 * reference data: fixtures/refs (tiny-sd, from given latents) and fixtures/shapes-refs (seed 0).
 * PNG pixels: within 1/255 of round(reference * 255) (the quantisation step; any real error shows
 * as more). --raw: float image max abs <= 2e-3 (fp32; issue's bound) or <= 5e-3 (fp16 model).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import { decodePng } from '../testing/png-decode.js';
import { maxAbsDiff, readF32, readJson } from '../testing/reference-data.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'sd-cli-'));
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 1 << 24 });

/** Max difference in 8-bit levels between the PNG's RGB and the [0,1] NCHW reference. */
function pngLevelError(png: Uint8Array, reference: Float32Array): number {
  const { width, height, rgba } = decodePng(png);
  const plane = width * height;
  let max = 0;
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) max = Math.max(max, Math.abs(rgba[i * 4 + c] - Math.round(reference[c * plane + i] * 255)));
  return max;
}

const manifest = readJson<{ latents: { file: string }; cases: { scheduler: string; steps: number; guidance: number; prompt: string; image: { file: string } }[] }>('fixtures/refs/manifest.json');

describe('npm run cli -- generate', () => {
  it.each([
    ['tiny-sd-fp32', 2e-3],
    ['tiny-sd-fp16', 5e-3],
  ])('%s from given latents matches diffusers (raw max abs <= %s)', async (model, tolerance) => {
    const c = manifest.cases[0];
    const out = join(dir, `${model}.png`);
    const raw = join(dir, `${model}.f32`);
    await cli('generate', '--model', `fixtures/${model}`, '--prompt', c.prompt, '--scheduler', c.scheduler, '--steps', String(c.steps), '--guidance', String(c.guidance),
      '--latents', `fixtures/${manifest.latents.file}`, '--width', '128', '--height', '128', '--out', out, '--raw', raw);
    const reference = readF32(`fixtures/${c.image.file}`);
    const rawError = maxAbsDiff(readF32(raw), reference);
    const levels = pngLevelError(readFileSync(out), reference);
    console.log(`${model}: raw max abs ${rawError.toExponential(2)}, PNG max ${levels} level(s) from the quantised reference`);
    expect(rawError).toBeLessThanOrEqual(tolerance);
    expect(levels).toBeLessThanOrEqual(1);
  });

  it('generates the bundled default with seed and writes A1111 parameters', async () => {
    const out = join(dir, 'shapes.png');
    await cli('generate', '--prompt', 'a red circle on a blue background', '--seed', '0', '--steps', '20', '--out', out);
    const png = readFileSync(out);
    expect(pngLevelError(png, readF32('fixtures/shapes-refs/prompt0_seed0_torch_cpu.f32'))).toBeLessThanOrEqual(1);
    const parameters = parseParameters(readPngTextChunks(png).parameters);
    expect(parameters).toMatchObject({ prompt: 'a red circle on a blue background', steps: 20, sampler: 'PNDM', guidanceScale: 7.5, seed: 0, width: 128, height: 128, model: 'shapes-sd-fp32' });
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
    const failure = await cli('generate', '--prompt', 'x', '--width', '100', '--out', join(dir, 'bad.png')).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('multiple of 8') });
    const missing = await cli('generate', '--model', dir, '--prompt', 'x', '--out', join(dir, 'bad.png')).catch((error: { code: number; stderr: string }) => error);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('model_index.json') });
  });
});
