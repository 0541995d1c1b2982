// Runs in the folder the packed package was installed into, importing only the package's public
// entries: `node generate.mjs MODEL_DIR REQUEST.json OUT_PREFIX` generates one image with the
// engine API on onnxruntime-web's wasm backend and writes OUT_PREFIX.image.f32 and .latents.f32
// (float32 NCHW), printing {width, height, request, model}. REQUEST.json may name a `latentsFile`.
import { readFile, writeFile } from 'node:fs/promises';
import { StableDiffusionPipeline } from 'sd-web/engine';
import { DirectoryModelSource, wasmRuntime } from 'sd-web/node';

const [modelDir, requestPath, outPrefix] = process.argv.slice(2);
const { latentsFile, ...request } = JSON.parse(await readFile(requestPath, 'utf8'));
if (latentsFile) {
  const bytes = await readFile(latentsFile);
  request.latents = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource(modelDir), { executionProviders: ['wasm'] });
try {
  const result = await pipeline.generate(request);
  const bytes = (array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  await writeFile(`${outPrefix}.image.f32`, bytes(result.image));
  await writeFile(`${outPrefix}.latents.f32`, bytes(result.latents));
  console.log(JSON.stringify({ width: result.width, height: result.height, request: result.request, model: result.model }));
} finally {
  await pipeline.dispose();
}
