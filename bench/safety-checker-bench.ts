/**
 * The safety checker's cost per picture (issue 23): preprocessing (CLIPImageProcessor, core/) plus the
 * checker's graph, on a model folder with safety_checker/ + feature_extractor/, in Node.
 *
 *   node --import tsx bench/safety-checker-bench.ts DIR [--runtime cpu|wasm] [--runs N] [--size 512]
 *
 * Prints the session load time, then per run the ms for one picture (a mulberry32 picture of the given
 * size, RGBA) and the median. The first run is a warm-up and is left out of the median.
 */
import { parseArgs } from 'node:util';
import { DirectoryModelSource } from '../src/node/directory-source.js';
import { nativeRuntime } from '../src/node/ort-native.js';
import { wasmRuntime } from '../src/node/ort-node.js';
import { SafetyChecker } from '../src/engine/safety/safety-checker.js';
import { clipPixelValues, parseClipImageProcessorConfig, rgbaToRgb } from '../src/core/clip-image-processor.js';
import { mulberry32 } from '../src/testing/mulberry32.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runtime: { type: 'string', default: 'cpu' }, runs: { type: 'string', default: '5' }, size: { type: 'string', default: '512' } },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: bench/safety-checker-bench.ts DIR [--runtime cpu|wasm] [--runs N] [--size 512]');
const size = Number(values.size);
const runtime =
  values.runtime === 'wasm' ? { ort: wasmRuntime(), executionProviders: ['wasm'] } : { ort: nativeRuntime('cpu').ort, executionProviders: ['cpu'] };
const t0 = performance.now();
const checker = await SafetyChecker.load(runtime.ort, new DirectoryModelSource(dir), { executionProviders: runtime.executionProviders });
console.log(`${dir} (${values.runtime}): session load ${(performance.now() - t0).toFixed(0)} ms`);
const rand = mulberry32(1);
const rgba = Uint8Array.from({ length: size * size * 4 }, () => Math.floor(rand() * 256));
const config = parseClipImageProcessorConfig({});
const tp = performance.now();
clipPixelValues(rgbaToRgb(rgba), size, size, config);
console.log(`preprocessing ${size}x${size}: ${(performance.now() - tp).toFixed(1)} ms`);
const times: number[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const t = performance.now();
  await checker.check([{ width: size, height: size, rgba }]);
  times.push(performance.now() - t);
  console.log(`run ${i + 1}: ${times[i]!.toFixed(0)} ms`);
}
const sorted = times.slice(1).sort((a, b) => a - b);
console.log(`median (after warm-up) ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms per picture`);
await checker.dispose();
