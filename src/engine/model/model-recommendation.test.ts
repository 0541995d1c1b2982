/**
 * The "fast" recommendation an LCM-distilled folder makes (LCM, 4 steps, guidance 1), read from the folder:
 * its scheduler class (LCMScheduler) or its UNet's time_cond_proj_dim; and the CLI applying it when no
 * sampler flag is given. The LCM-distilled folder is fixtures/fewstep-refs/lcm-unet/unet (time_cond_proj_dim 32)
 * with shapes-sd's other parts, linked into a temporary folder.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCommand } from '../../cli/generate.js';
import { parseParameters } from '../../core/parameters.js';
import { readPngTextChunks } from '../../core/png.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { openModelFolder } from './model-folder.js';
import { FAST_LCM_SETTINGS, folderRecommendation } from './model-recommendation.js';

const SHAPES = 'public/models/shapes-sd-fp32';

function folderWith(unet: string, scheduler?: Record<string, unknown>): string {
  const folder = mkdtempSync(join(tmpdir(), 'sd-recommend-'));
  for (const part of ['model_index.json', 'tokenizer', 'text_encoder', 'vae_decoder']) symlinkSync(resolve(SHAPES, part), join(folder, part));
  symlinkSync(resolve(unet), join(folder, 'unet'));
  if (scheduler) {
    mkdirSync(join(folder, 'scheduler'));
    writeFileSync(join(folder, 'scheduler', 'scheduler_config.json'), JSON.stringify(scheduler));
  } else symlinkSync(resolve(SHAPES, 'scheduler'), join(folder, 'scheduler'));
  return folder;
}

describe('folderRecommendation', () => {
  it('recommends nothing for shapes-sd (a PNDM folder without a guidance embedding)', async () => {
    expect(folderRecommendation(await openModelFolder(new DirectoryModelSource(SHAPES)))).toBeNull();
  });

  it('recommends LCM, 4 steps, guidance 1 for a UNet with time_cond_proj_dim', async () => {
    const folder = await openModelFolder(new DirectoryModelSource(folderWith('fixtures/fewstep-refs/lcm-unet/unet')));
    expect(folder.timeCondProjDim).toBe(32);
    expect(folderRecommendation(folder)).toEqual({ scheduler: 'lcm', numInferenceSteps: 4, guidanceScale: 1 });
  });

  it('recommends it for a folder whose scheduler_config.json names LCMScheduler (an LCM checkpoint exported with its scheduler)', async () => {
    const scheduler = {
      ...JSON.parse(readFileSync(`${SHAPES}/scheduler/scheduler_config.json`, 'utf8')),
      _class_name: 'LCMScheduler',
      original_inference_steps: 50,
    };
    const folder = await openModelFolder(new DirectoryModelSource(folderWith(`${SHAPES}/unet`, scheduler)));
    expect(folder.schedulerConfig.className).toBe('LCMScheduler');
    expect(folderRecommendation(folder)).toEqual(FAST_LCM_SETTINGS);
  });

  it('the CLI takes it when no sampler flag is given, and a given flag wins', { timeout: 60_000 }, async () => {
    const model = folderWith('fixtures/fewstep-refs/lcm-unet/unet');
    const out = join(mkdtempSync(join(tmpdir(), 'sd-recommend-out-')), 'a.png');
    await generateCommand(['--model', model, '--prompt', 'a red circle', '--seed', '1', '--width', '64', '--height', '64', '--out', out]);
    expect(parseParameters(readPngTextChunks(readFileSync(out)).parameters)).toMatchObject({ sampler: 'LCM', steps: 4, guidanceScale: 1 });
    await generateCommand(['--model', model, '--prompt', 'a red circle', '--seed', '1', '--width', '64', '--height', '64', '--steps', '2', '--out', out]);
    expect(parseParameters(readPngTextChunks(readFileSync(out)).parameters)).toMatchObject({ sampler: 'PNDM', steps: 2 });
  });
});
