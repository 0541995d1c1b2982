/** The presets' declared size rule is the one their model folders give (so it is checked before a download, and right). */
import { describe, expect, it } from 'vitest';
import { folderGeometry, openModelFolder } from '../engine/model/model-folder.js';
import { SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { presetGeometry } from './model-preset.js';
import { presets } from './presets.js';

const [shapes, sd14] = presets('https://app.example/');

describe('presetGeometry', () => {
  it.each(['public/models/shapes-sd-fp16', 'public/models/shapes-sd-fp32'])('shapes-sd matches %s', async (dir) => {
    // The scheduler config and the attention are read with the folder (the engine checks step counts and sizes against them after loading).
    const { schedulerConfig: _, attention: __, ...fromFolder } = folderGeometry(await openModelFolder(new DirectoryModelSource(dir)));
    expect(presetGeometry(shapes)).toEqual(fromFolder);
  });

  it('SD v1.4: multiples of 64, 512x512', () => {
    expect(presetGeometry(sd14)).toEqual(SD_V1_GEOMETRY);
  });
});
