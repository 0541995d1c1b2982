/**
 * The "fast" recommendation an LCM-distilled folder makes (LCM, 4 steps, guidance 1), read from the folder:
 * its scheduler class (LCMScheduler) or its UNet's time_cond_proj_dim; and the CLI applying it to each
 * sampler flag not given. The LCM-distilled folder is fixtures/fewstep-refs/lcm-unet/unet (time_cond_proj_dim 32)
 * with shapes-sd's other parts, linked into a temporary folder.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { generateCommand } from '../../cli/generate.js';
import { parseParameters } from '../../core/parameters.js';
import { readPngTextChunks } from '../../core/png.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { openModelFolder } from './model-folder.js';
import { FAST_LCM_SETTINGS, folderRecommendation, withRecommendation } from './model-recommendation.js';

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

  it('the CLI takes it for each sampler flag not given, field by field; a given flag wins', { timeout: 90_000 }, async () => {
    const model = folderWith('fixtures/fewstep-refs/lcm-unet/unet');
    const out = join(mkdtempSync(join(tmpdir(), 'sd-recommend-out-')), 'a.png');
    const run = async (...flags: string[]) => {
      const said: string[] = [];
      const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
        said.push(String(text));
        return true;
      });
      try {
        await generateCommand(['--model', model, '--prompt', 'a red circle', '--seed', '1', '--width', '64', '--height', '64', ...flags, '--out', out]);
      } finally {
        write.mockRestore();
      }
      return { parameters: parseParameters(readPngTextChunks(readFileSync(out)).parameters), said: said.join('') };
    };
    const none = await run();
    expect(none.parameters).toMatchObject({ sampler: 'LCM', steps: 4, guidanceScale: 1 });
    expect(none.said).toMatch(/is LCM-distilled: --scheduler lcm --steps 4 --guidance 1 \(its recommendation for the flags not given\)/);
    const steps = await run('--steps', '2');
    expect(steps.parameters).toMatchObject({ sampler: 'LCM', steps: 2, guidanceScale: 1 });
    expect(steps.said).toMatch(/is LCM-distilled: --scheduler lcm --guidance 1 \(/);
    const all = await run('--scheduler', 'pndm', '--steps', '2', '--guidance', '3');
    expect(all.parameters).toMatchObject({ sampler: 'PNDM', steps: 2, guidanceScale: 3 });
    expect(all.said).not.toMatch(/LCM-distilled/);
  });
});

describe('withRecommendation', () => {
  const request = { prompt: 'x', scheduler: 'pndm' as const, numInferenceSteps: 20, guidanceScale: 7.5 };
  it('fills each field not given with the recommendation, keeps the given ones, and says which it took', () => {
    expect(withRecommendation(request, FAST_LCM_SETTINGS, { scheduler: false, steps: true, guidance: false })).toEqual({
      request: { prompt: 'x', scheduler: 'lcm', numInferenceSteps: 20, guidanceScale: 1 },
      taken: ['scheduler', 'guidanceScale'],
    });
    expect(withRecommendation(request, FAST_LCM_SETTINGS, { scheduler: true, steps: true, guidance: true })).toEqual({ request, taken: [] });
  });
  it('leaves the request as it is without a recommendation', () => {
    expect(withRecommendation(request, null, { scheduler: false, steps: false, guidance: false })).toEqual({ request, taken: [] });
  });
});
