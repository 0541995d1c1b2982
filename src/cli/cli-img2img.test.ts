/**
 * `npm run cli -- generate --init-image ... [--mask ...] [--strength S]` as a user runs it (a child
 * process through tsx), against diffusers' img2img / inpainting references (fixtures/img2img/, see
 * src/engine/img2img.parity.test.ts for their origin): the issue's three cases, against the issue's references
 * (public/) and against the same cases' references from a contiguous image tensor (extra/).
 * --raw: float image max abs <= 2e-3 (the issue's bound); PNG: within 1/255 of round(reference * 255).
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli-run.js';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import { pngLevelError } from '../testing/png-decode.js';
import { maxAbsDiff, readF32, readJson } from '../testing/reference-data.js';
import { boundsFor, ISSUE_BOUNDS, type Img2ImgCase } from '../testing/img2img-cases.js';
import { caseFlags } from '../testing/diffusers-case.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-i2i-'));

const fixtures = 'fixtures/img2img/public/';
const { cases } = readJson<{ cases: Img2ImgCase[] }>(`${fixtures}manifest.json`);
const references = ['public', 'extra'].map((set) => ({ set, dir: `fixtures/img2img/${set}/` }));

describe('npm run cli -- generate --init-image', () => {
  for (const c of cases) {
    it(`${c.id} matches diffusers' public and extra references (raw max abs <= ${ISSUE_BOUNDS.image})`, { timeout: 180_000 }, async () => {
      const out = join(dir, `${c.id}.png`);
      const raw = join(dir, `${c.id}.f32`);
      await cli(
        'generate',
        ...caseFlags(c),
        '--seed',
        String(c.seed),
        '--init-image',
        fixtures + c.init_image,
        ...(c.mask_image ? ['--mask', fixtures + c.mask_image] : []),
        '--strength',
        String(c.strength),
        '--out',
        out,
        '--raw',
        raw,
      );
      const png = readFileSync(out);
      for (const { set, dir: refs } of references) {
        const reference = readF32(refs + c.image);
        const rawError = maxAbsDiff(readF32(raw), reference);
        const levels = pngLevelError(png, reference);
        console.log(`cli ${set}/${c.id}: raw max abs ${rawError.toExponential(2)}, PNG max ${levels} level(s) from the quantised reference`);
        expect(rawError).toBeLessThanOrEqual(boundsFor(set, c).image);
        expect(levels).toBeLessThanOrEqual(1);
      }
      expect(parseParameters(readPngTextChunks(png).parameters)).toMatchObject({
        prompt: c.prompt,
        seed: c.seed,
        steps: c.steps,
        denoisingStrength: c.strength,
        width: 128,
        height: 128,
      });
    });
  }

  it('strength defaults to 0.75', { timeout: 120_000 }, async () => {
    const out = join(dir, 'default.png');
    await cli('generate', '--prompt', 'a red circle', '--steps', '4', '--init-image', `${fixtures}init_B.png`, '--out', out);
    expect(parseParameters(readPngTextChunks(readFileSync(out)).parameters).denoisingStrength).toBe(0.75);
  });

  const bad = join(dir, 'not-an-image.png');
  writeFileSync(bad, 'hello');
  const noEncoder = join(dir, 'no-encoder');
  mkdirSync(noEncoder);
  for (const part of ['model_index.json', 'scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder'])
    symlinkSync(resolve('public/models/shapes-sd-fp32', part), join(noEncoder, part));
  it.each([
    ['an image that does not decode', ['--init-image', bad], /not-an-image.png cannot be used: it is not a PNG, JPEG or WebP file/],
    ['a missing file', ['--init-image', join(dir, 'nope.png')], /--init-image .*nope.png: no such file/],
    [
      'a mask of another size',
      ['--init-image', `${fixtures}init_A.png`, '--mask', 'public/icons/icon-192.png'],
      /--mask: The mask is 192x192 but the init image is 128x128/,
    ],
    ['strength outside (0, 1]', ['--init-image', `${fixtures}init_A.png`, '--strength', '1.2'], /--strength: Strength must be a number in \(0, 1\]/],
    ['a mask without an image', ['--mask', `${fixtures}mask_left.png`], /--mask: A mask needs an init image/],
    ['a model without vae_encoder', ['--model', noEncoder, '--init-image', `${fixtures}init_A.png`], /has no vae_encoder\/model.onnx/],
  ])('refuses %s with one clear line', { timeout: 60_000 }, async (_, args, message) => {
    const error = await cli('generate', '--prompt', 'x', '--steps', '4', '--out', join(dir, 'never.png'), ...args).then(
      () => null,
      (e: { stderr: string; code: number }) => e,
    );
    expect(error?.code).not.toBe(0);
    expect(error?.stderr).toMatch(message);
    expect(error?.stderr).not.toMatch(/step 1\//); // no denoising started
  });
});
