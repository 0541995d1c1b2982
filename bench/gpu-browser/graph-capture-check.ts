/**
 * Whether onnxruntime-web's WebGPU graph capture (enableGraphCapture) takes a UNet, and whether its replays
 * give the uncaptured session's output (issue 24 part B item 2). Serves graph-capture.html, onnxruntime-web's
 * dist/ (ort/) and the UNet folder (model/) on 127.0.0.1 and opens it in Chromium; prints the page's result.
 *
 *   npx tsx bench/gpu-browser/graph-capture-check.ts --unet fixtures/tiny-sd-fp32/unet --hidden 32 [--latent 16]
 *     [--gpuio 1|0 (also the GPU-buffer session without capture)] [--io float32|float16] [--vary all|sample|timestep|encoder_hidden_states] [--ort DIR (onnxruntime-web's dist)] [--static 1|0] [--timestep float32|int64] [--chromium DIR (a pack-chromium.sh folder; default /usr/bin/chromium)]
 *     [--adapter swiftshader|default]
 */
import { copyFileSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { gpuChromiumArgs, packedChromium } from './chromium.js';
import { serveStatic } from './static-server.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const here = fileURLToPath(new URL('.', import.meta.url));
const ortDist = resolve(arg('ort', join(here, '../../node_modules/onnxruntime-web/dist')));
const chromiumDir = arg('chromium', '');
const root = mkdtempSync(join(tmpdir(), 'graph-capture-'));
symlinkSync(ortDist, join(root, 'ort'));
const unet = resolve(arg('unet', 'fixtures/tiny-sd-fp32/unet'));
symlinkSync(unet, join(root, 'model'));
const dataFiles = readdirSync(unet).filter((name) => name !== 'model.onnx' && !name.endsWith('.json'));
copyFileSync(join(here, 'graph-capture.html'), join(root, 'index.html'));
const server = await serveStatic(root);
const browser = await chromium.launch({
  ...(chromiumDir ? packedChromium(chromiumDir) : { executablePath: '/usr/bin/chromium' }),
  headless: true,
  args: gpuChromiumArgs(arg('adapter', 'swiftshader')),
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`[console ${m.type()}] ${m.text().slice(0, 300)}`));
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  const query = new URLSearchParams({
    latent: arg('latent', '16'),
    hidden: arg('hidden', '768'),
    seq: arg('seq', '77'),
    static: arg('static', '1'),
    timestep: arg('timestep', 'float32'),
    runs: arg('runs', '4'),
    vary: arg('vary', 'all'),
    io: arg('io', 'float32'),
    gpuio: arg('gpuio', '1'),
    data: dataFiles.join(','),
  });
  await page.goto(`${server.url}index.html?${query}`);
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, {
    timeout: Number(arg('timeout-min', '10')) * 60_000,
    polling: 500,
  });
  const result = await page.evaluate(() => (window as unknown as { __result: unknown }).__result);
  console.log(`GRAPH_CAPTURE_JSON ${JSON.stringify(result)}`);
} finally {
  await browser.close();
  await server.close();
}
