/**
 * The CLI's picture as a browser test's reference (onnxruntime-web's wasm backend in Node): runs
 * `generate ARGS --out DIR/cli.png --raw DIR/cli.f32` as a user runs the CLI, from the repository root, and reads
 * back the PNG and the float image (NCHW, 0..1). A failed run throws with the CLI's stderr.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readF32 } from '../../src/testing/reference-data.js';
import { REPO_ROOT } from './app-server.js';

export async function cliReference(dir: string, args: string[]): Promise<{ png: Uint8Array; image: Float32Array }> {
  const png = join(dir, 'cli.png');
  const f32 = join(dir, 'cli.f32');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'generate', ...args, '--out', png, '--raw', f32], {
    cwd: REPO_ROOT,
    maxBuffer: 1 << 24,
  }).catch((error: { stderr?: string }) => {
    throw new Error(`The CLI reference failed:\n${error.stderr}`);
  });
  return { png: new Uint8Array(readFileSync(png)), image: readF32(f32) };
}
