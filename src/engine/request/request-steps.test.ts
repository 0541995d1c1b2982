/**
 * The validator refuses step counts the model's scheduler cannot run (issue 25 item 7), naming the
 * largest that works, instead of producing NaN later and blaming the UNet's weights.
 */
import { describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { folderGeometry, openModelFolder } from '../model/model-folder.js';
import { SD_V1_GEOMETRY } from '../model/model-geometry.js';
import { validateRequest } from './request.js';

describe('validateRequest: step counts against the scheduler config', () => {
  it('shapes-sd: pndm 1000 and dpmpp_2m 999 are refused with the largest count that works; 999 and 998 pass', async () => {
    const shapes = folderGeometry(await openModelFolder(new DirectoryModelSource('public/models/shapes-sd-fp32')));
    expect(validateRequest({ prompt: 'x', seed: 1, numInferenceSteps: 1000 }, shapes)).toEqual([
      {
        field: 'numInferenceSteps',
        message: "Steps: the pndm scheduler takes at most 999 with this model's schedule (got 1000; more would leave its 0..999 timesteps or repeat one).",
      },
    ]);
    expect(validateRequest({ prompt: 'x', seed: 1, numInferenceSteps: 999, scheduler: 'dpmpp_2m' }, shapes)).toEqual([
      {
        field: 'numInferenceSteps',
        message: "Steps: the dpmpp_2m scheduler takes at most 998 with this model's schedule (got 999; more would leave its 0..999 timesteps or repeat one).",
      },
    ]);
    expect(validateRequest({ prompt: 'x', seed: 1, numInferenceSteps: 999 }, shapes)).toEqual([]);
    expect(validateRequest({ prompt: 'x', seed: 1, numInferenceSteps: 998, scheduler: 'dpmpp_2m' }, shapes)).toEqual([]);
  });

  it("without a scheduler config (before a model loads): SD v1.4's", () => {
    expect(validateRequest({ prompt: 'x', seed: 1, numInferenceSteps: 1000, scheduler: 'unipc' }, SD_V1_GEOMETRY).map((e) => e.message)).toEqual([
      expect.stringContaining('at most 999'),
    ]);
    expect(validateRequest({ prompt: 'x', seed: 1, numInferenceSteps: 1000, scheduler: 'euler' }, SD_V1_GEOMETRY)).toEqual([]);
  });
});
