/**
 * `noise --seed N --shape 1,4,64,64 --out FILE.f32`: torch.randn(shape, generator=manual_seed(N)) as raw
 * float32. --out is checked before any work and written whole or not at all, as generate's outputs.
 */
import { checkOutputPaths, writeFilesAtomically } from '../node/atomic-write.js';
import { InvalidRequestError } from '../core/errors.js';
import { TorchGenerator } from '../core/random/torch-generator.js';
import { intFlag, parseFlags, requireFlag } from './args.js';

export async function noiseCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { seed: { type: 'string' }, shape: { type: 'string' }, out: { type: 'string' } });
  const seed = intFlag(requireFlag(values.seed, 'seed'), 'seed')!;
  const shape = requireFlag(values.shape, 'shape')
    .split(',')
    .map((d) => intFlag(d.trim(), 'shape')!);
  if (shape.some((d) => d < 1)) throw new InvalidRequestError('--shape dims must be positive integers, e.g. 1,4,64,64.');
  const out = requireFlag(values.out, 'out');
  await checkOutputPaths([{ path: out, flag: 'out' }]);
  const data = new TorchGenerator(seed).randn(shape);
  await writeFilesAtomically([{ path: out, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }]);
}
