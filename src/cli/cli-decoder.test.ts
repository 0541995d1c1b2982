/**
 * `generate --decoder full|tiny` as a user runs it (a child process through tsx): the tiny autoencoder's picture
 * against diffusers with vae=AutoencoderTiny (fixtures/taesd/, tools/make_taesd_refs.py; --raw within the issue's
 * 2e-3), A1111's `VAE Decoder: TAESD` in the PNG, and a folder without taesd_decoder/ refused with exit status 2.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliFailure as fails } from '../testing/cli-run.js';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import { maxAbsDiff, readF32, readJson } from '../testing/reference-data.js';
import { folderWithTaesd } from '../testing/taesd-folder.js';
import { caseFlags } from '../testing/diffusers-case.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-decoder-'));

describe('npm run cli -- generate --decoder', () => {
  const folder = folderWithTaesd('fixtures/tiny-sd-fp32');
  afterAll(() => folder.remove());

  it('tiny: the tiny autoencoder decodes as diffusers with vae=AutoencoderTiny (raw max abs <= 2e-3); the PNG says VAE Decoder: TAESD', {
    timeout: 120_000,
  }, async () => {
    const c = readJson<{ cases: { id: string; prompt: string; scheduler: string; steps: number; guidance: number; seed: number; image: { file: string } }[] }>(
      'fixtures/taesd/manifest.json',
    ).cases.find((x) => x.id === 'tiny_pndm')!;
    const out = join(dir, 'tiny.png');
    const raw = join(dir, 'tiny.f32');
    await cli(
      'generate',
      '--model',
      folder.dir,
      ...caseFlags(c),
      '--seed',
      String(c.seed),
      '--width',
      '128',
      '--height',
      '128',
      '--decoder',
      'tiny',
      '--out',
      out,
      '--raw',
      raw,
    );
    const error = maxAbsDiff(readF32(raw), readF32(`fixtures/taesd/${c.image.file}`));
    console.log(`cli --decoder tiny: raw max abs ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(2e-3);
    const parameters = parseParameters(readPngTextChunks(readFileSync(out)).parameters ?? '');
    expect(parameters.vaeDecoder).toBe('TAESD');
  });

  it('tiny on a folder without taesd_decoder/, or an unknown decoder: exit status 2 with the reason', { timeout: 60_000 }, async () => {
    const missing = await fails(
      'generate',
      '--model',
      'fixtures/tiny-sd-fp32',
      '--prompt',
      'x',
      '--width',
      '128',
      '--height',
      '128',
      '--decoder',
      'tiny',
      '--out',
      join(dir, 'no.png'),
    );
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--decoder: This model has no tiny decoder (taesd_decoder/model.onnx)') });
    const unknown = await fails('generate', '--model', folder.dir, '--prompt', 'x', '--decoder', 'approx', '--out', join(dir, 'no.png'));
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('Decoder must be one of full, tiny (got "approx")') });
  });
});
