/**
 * A tiny model whose UNet comes from another folder: `unet/`, model_index.json and scheduler/ from `folder`
 * (a fixture that prepare_model.py wrote with the UNet only, such as tiny-sd-portable or tiny-sd-fused),
 * everything else (text encoder, VAE, tokenizer) from tiny-sd-fp32, whose weights it shares.
 * `hidden`: paths the source says it does not have (a fused folder without its weight map, say).
 */
import { DirectoryModelSource } from '../node/directory-source.js';
import type { ModelSource } from '../engine/model/model-source.js';
import { ModelFileMissingError } from '../core/errors.js';

export function tinyWithUnetFrom(folder: string, hidden: readonly string[] = []): ModelSource {
  const unet = new DirectoryModelSource(`fixtures/${folder}`);
  const fp32 = new DirectoryModelSource('fixtures/tiny-sd-fp32');
  const pick = (path: string) => {
    if (hidden.includes(path)) throw new ModelFileMissingError(`${folder}/${path} is hidden by the test.`);
    return path.startsWith('unet/') || !path.includes('/') || path.startsWith('scheduler/') ? unet : fp32;
  };
  return {
    name: folder,
    has: async (path) => !hidden.includes(path) && pick(path).has(path),
    readBytes: async (path) => pick(path).readBytes(path),
    readText: async (path) => pick(path).readText(path),
    localPath: (path) => pick(path).localPath(path),
  };
}
