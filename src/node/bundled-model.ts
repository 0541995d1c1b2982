/**
 * Where the bundled demo model (shapes-sd fp32, the wasm backend's best fit) is, wherever this code
 * runs from: public/models/ in the repository (src/ through tsx), dist/lib/models/ in the installed
 * package (dist/esm/, where the library build puts the models the element loads; no second copy).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelFileMissingError } from '../core/errors.js';

const CANDIDATES = ['public/models/shapes-sd-fp32', 'dist/lib/models/shapes-sd-fp32'];

/** The folder of the bundled demo model; throws ModelFileMissingError (saying what to pass instead) when this installation lacks it. */
export function bundledModelDir(): string {
  // The package root: the nearest folder above this file with a package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  for (const candidate of CANDIDATES) {
    if (existsSync(join(dir, candidate, 'model_index.json'))) return join(dir, candidate);
  }
  throw new ModelFileMissingError(
    `The bundled demo model (shapes-sd) is not in ${dir} (looked for ${CANDIDATES.join(' and ')}): ` +
      'pass --model DIR, a diffusers ONNX folder (model_index.json, unet/model.onnx, ...).',
  );
}
