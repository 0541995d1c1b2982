/**
 * A model folder with a safety checker for tests: the tiny-sd fixture (fixtures/tiny-sd-fp32) with
 * fixtures/safety's safety_checker/, feature_extractor/ and model_index.json laid over it (made by
 * tools/make_safety_refs.py), copied once per process into a temporary folder.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SAFETY_OVERLAY = ['safety_checker', 'feature_extractor', 'model_index.json'];

let made: string | null = null;

export function safetyModelDir(): string {
  if (made) return made;
  const dir = join(mkdtempSync(join(tmpdir(), 'sd-safety-')), 'tiny-sd-safety');
  cpSync('fixtures/tiny-sd-fp32', dir, { recursive: true });
  for (const entry of SAFETY_OVERLAY) cpSync(join('fixtures/safety', entry), join(dir, entry), { recursive: true });
  made = dir;
  return dir;
}
