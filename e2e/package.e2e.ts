/**
 * The npm package, as a developer gets it: `scripts/build-package.mjs` into a staging folder,
 * `npm pack` there, then `npm install <tarball>` into an empty project and every entry point used
 * from that project (in Node; the Vite example's page in Chromium).
 *
 * Offline: the project declares the package's own dependencies as `file:` links to this
 * repository's node_modules (the versions package-lock.json pins, which `npm ci` installed) and
 * `overrides` them for sd-web, so npm resolves nothing from a registry; the tarball itself is
 * installed as npm installs any tarball (its files, its `bin` linked into node_modules/.bin).
 *
 * Reference data: fixtures/refs (diffusers, tiny-sd fp32, torch CPU; fixtures/README.md), with the
 * tolerances of src/engine/pipeline.parity.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngTextChunks } from '../src/core/png.js';
import { decodePng } from '../src/testing/png-decode.js';
import { maxAbsDiff, readF32, readJson, relativeL2 } from '../src/testing/reference-data.js';
import { launchChromium } from './lib/browser.js';
import { REPO_ROOT } from './lib/production-server.js';

interface PackedFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

let work: string;
let project: string;
let packed: PackResult;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(REPO_ROOT, 'node_modules/.bin/tsc');
const QUIET = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

/** Runs a command in the installed project; returns its exit code and output. */
function inProject(command: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd: project, encoding: 'utf8', env: { ...process.env, ...QUIET }, timeout: 300_000 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sd-package-'));
  const stage = join(work, 'stage');
  project = join(work, 'project');
  mkdirSync(stage);
  mkdirSync(project);

  // 1. Build and pack, as `npm run build && npm pack` would, without touching this repository's dist/.
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build-package.mjs'), '--out', stage], {
    stdio: 'pipe',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  for (const file of ['package.json', 'README.md', 'LICENSE']) cpSync(join(REPO_ROOT, file), join(stage, file));
  const json = execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: stage,
    encoding: 'utf8',
    env: { ...process.env, ...QUIET },
  });
  packed = (JSON.parse(json) as PackResult[])[0];

  // 2. An empty project that installs the tarball, offline.
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const links = Object.fromEntries(Object.keys(manifest.dependencies).map((name) => [name, `file:${join(REPO_ROOT, 'node_modules', name)}`]));
  const overrides = Object.fromEntries(Object.keys(manifest.dependencies).map((name) => [name, `$${name}`]));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'sd-web-consumer', private: true, type: 'module', dependencies: links, overrides }, null, 2),
  );
  const install = inProject(NPM, ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', join(work, packed.filename)]);
  if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  // The consumer's files (e2e/package/: generate.mjs, import-element.mjs, consumer.ts and its tsconfig).
  cpSync(join(REPO_ROOT, 'e2e/package'), project, { recursive: true });
  // examples/vite, with the repository's Vite as its dev dependency.
  cpSync(join(REPO_ROOT, 'examples/vite'), join(project, 'vite-app'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules/vite'), join(project, 'node_modules/vite'));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package (packed, installed into an empty project)', () => {
  it('packs the built files only: element library with worker, ORT runtime and demo models; Node JS with .d.ts; the manifest; no sources or tests', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/custom-elements.json',
        'dist/lib/sd-text-to-image.js',
        'dist/lib/define.js',
        'dist/lib/engine.worker.js',
        'dist/lib/ort/ort-wasm-simd-threaded.asyncify.wasm',
        'dist/lib/ort/ort-wasm-simd-threaded.asyncify.mjs',
        'dist/lib/models/shapes-sd-fp32/model_index.json',
        'dist/lib/models/shapes-sd-fp16/unet/model.onnx',
        'dist/esm/engine/index.js',
        'dist/esm/engine/index.d.ts',
        'dist/esm/node/index.js',
        'dist/esm/node/index.d.ts',
        'dist/esm/cli/main.js',
        'dist/esm/element/index.d.ts',
        'dist/esm/element/define.d.ts',
      ]),
    );
    expect(paths.filter((path) => /(^|\/)(src|e2e|fixtures|node_modules)\/|\.test\.|(?<!\.d)\.ts$/.test(path))).toEqual([]);
    // The element's JS is the Vite build (its worker bundled); tsc's copy of it is not shipped.
    expect(paths.filter((path) => path.startsWith('dist/esm/element/') && path.endsWith('.js'))).toEqual([]);
    // Size budget: the .wasm (27 MB) and the two demo models (51 MB) are nearly all of it.
    expect(packed.unpackedSize).toBeLessThan(85e6);
    console.log(`sd-web tarball: ${(packed.size / 1e6).toFixed(1)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${paths.length} files`);
  });

  it('sd-web/engine + sd-web/node generate in Node on wasm what diffusers computes (tiny-sd fp32, pndm 10 steps: latents rel L2 <= 1e-4, image max abs <= 2e-3)', () => {
    const refs = readJson<{
      latents: { file: string };
      cases: {
        scheduler: string;
        steps: number;
        guidance: number;
        prompt: string;
        negative_prompt: string;
        image: { file: string };
        final_latents: { file: string };
      }[];
    }>('fixtures/refs/manifest.json');
    const c = refs.cases.find((entry) => entry.scheduler === 'pndm')!;
    const request = {
      prompt: c.prompt,
      negativePrompt: c.negative_prompt,
      scheduler: c.scheduler,
      numInferenceSteps: c.steps,
      guidanceScale: c.guidance,
      latentsFile: join(REPO_ROOT, 'fixtures', refs.latents.file),
      width: 128,
      height: 128,
    };
    writeFileSync(join(project, 'request.json'), JSON.stringify(request));
    const run = inProject(process.execPath, ['generate.mjs', join(REPO_ROOT, 'fixtures/tiny-sd-fp32'), 'request.json', 'out']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      width: 128,
      height: 128,
      request: { prompt: c.prompt, numInferenceSteps: c.steps, guidanceScale: c.guidance },
    });
    expect(relativeL2(readF32(join(project, 'out.latents.f32')), readF32(join('fixtures', c.final_latents.file)))).toBeLessThan(1e-4);
    expect(maxAbsDiff(readF32(join(project, 'out.image.f32')), readF32(join('fixtures', c.image.file)))).toBeLessThan(2e-3);
  });

  it('sd-web/element and sd-web/element/define import in Node without a DOM, defining nothing', () => {
    const run = inProject(process.execPath, ['import-element.mjs']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      exports: ['SdTextToImageElement', 'SharedEngine', 'WORKER_FILE', 'defineSdTextToImage', 'workerEngine'],
      assetsUrl: null,
      observedAttributes: expect.arrayContaining(['model', 'prompt', 'steps', 'seed']),
      workerStarted: false,
      hasDocument: false,
    });
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/sd-web', 'dist/custom-elements.json'), 'utf8')) as {
      modules: { declarations: { tagName?: string }[] }[];
    };
    expect(manifest.modules[0].declarations[0].tagName).toBe('sd-text-to-image');
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/sd-web/package.json'), 'utf8')) as { customElements: string };
    expect(existsSync(join(project, 'node_modules/sd-web', installed.customElements))).toBe(true);
  });

  it("the published types check a consumer's page and Node code (tsc, NodeNext resolution, no skipLibCheck; @ts-expect-error lines prove they are not any)", () => {
    const run = inProject(TSC, ['-p', 'tsconfig.json']);
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('npx sd-web generate writes a PNG with the bundled demo model; a bad model folder is a one-line error with exit code 2', () => {
    const run = inProject(NPM, [
      'exec',
      '--offline',
      '--',
      'sd-web',
      'generate',
      '--prompt',
      'a red circle on a blue background',
      '--steps',
      '2',
      '--seed',
      '3',
      '--out',
      'cli.png',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const png = new Uint8Array(readFileSync(join(project, 'cli.png')));
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([128, 128]);
    expect(readPngTextChunks(png).parameters).toMatch(/^a red circle on a blue background\nSteps: 2, Sampler: PNDM, CFG scale: 7\.5, Seed: 3, Size: 128x128/);

    const bad = inProject(NPM, [
      'exec',
      '--offline',
      '--',
      'sd-web',
      'generate',
      '--model',
      join(project, 'no-such-model'),
      '--prompt',
      'x',
      '--out',
      'bad.png',
    ]);
    expect(bad.status).toBe(2);
    expect(
      bad.stderr
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('npm warn')),
    ).toEqual([expect.stringMatching(/^ModelFileMissingError: .*no-such-model.* has no model_index\.json/)]);
  });

  it('examples/vite builds against the installed package (the element bundled; its worker, ORT runtime and demo model copied to dist/sd-web/ untouched) and its page starts the engine worker from there', async () => {
    const app = join(project, 'vite-app');
    const run = spawnSync(process.execPath, [join(project, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    expect(run.status, run.stderr).toBe(0);
    const lib = join(project, 'node_modules/sd-web/dist/lib');
    for (const file of ['engine.worker.js', 'define.js', 'ort/ort-wasm-simd-threaded.asyncify.wasm', 'models/shapes-sd-fp32/unet/weights.pb']) {
      expect(readFileSync(join(app, 'dist/sd-web', file)).equals(readFileSync(join(lib, file))), file).toBe(true);
    }
    // The page's bundle holds the element and starts the worker from assetsUrl; Vite did not re-bundle the worker or ORT.
    const assets = readdirSync(join(app, 'dist/assets'));
    expect(assets.filter((name) => /worker|\.wasm$|\.mjs$/.test(name))).toEqual([]);
    const bundle = assets
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(join(app, 'dist/assets', name), 'utf8'))
      .join('\n');
    expect(bundle).toContain('sd-text-to-image');
    expect(bundle).toContain('engine.worker.js');
    expect(bundle).toContain('sd-web/');

    // In Chromium: the page defines the element, whose engine worker starts from /sd-web/engine.worker.js and answers.
    const server = await preview({ root: app, configFile: join(app, 'vite.config.js'), logLevel: 'warn', preview: { host: '127.0.0.1', port: 0 } });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(server.resolvedUrls!.local[0]);
      await page.waitForFunction(() => customElements.get('sd-text-to-image') !== undefined);
      const seen = await page.evaluate(async () => {
        const Element = customElements.get('sd-text-to-image') as unknown as typeof import('../src/element/sd-text-to-image.js').SdTextToImageElement;
        const capabilities = await Element.sharedEngine.engine.capabilities();
        return { assetsUrl: Element.assetsUrl, backend: capabilities.backend, crossOriginIsolated };
      });
      expect(seen).toEqual({ assetsUrl: new URL('sd-web/', server.resolvedUrls!.local[0]).href, backend: 'webgpu', crossOriginIsolated: true });
      expect(page.workers().map((worker) => new URL(worker.url()).pathname)).toEqual(['/sd-web/engine.worker.js']);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.httpServer.close(resolve));
    }
  });
});
