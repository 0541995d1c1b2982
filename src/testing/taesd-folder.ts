/**
 * A test model folder with the tiny autoencoder's parts: a temporary folder whose entries link to a model
 * folder's own (nothing copied) plus taesd_decoder/ and taesd_encoder/ from a shared copy (by default the
 * random AutoencoderTiny of fixtures/taesd/random/, tools/make_taesd_refs.py). The caller removes it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export interface TaesdFolder {
  dir: string;
  remove: () => void;
}

export function folderWithTaesd(
  modelDir: string,
  taesdDir = 'fixtures/taesd/random',
  parts: readonly string[] = ['taesd_decoder', 'taesd_encoder'],
): TaesdFolder {
  const root = mkdtempSync(join(tmpdir(), 'sd-taesd-'));
  const dir = join(root, basename(resolve(modelDir))); // the model keeps its name (infotext, messages)
  mkdirSync(dir);
  for (const entry of readdirSync(modelDir)) if (!entry.startsWith('taesd_')) symlinkSync(resolve(modelDir, entry), join(dir, entry));
  for (const part of parts) symlinkSync(resolve(taesdDir, part), join(dir, part));
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
