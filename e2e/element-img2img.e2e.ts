/**
 * <sd-text-to-image> inpainting in Chromium (production build, the library's example page): the
 * `init-image` and `mask` attributes point at fixture PNGs served by the test server
 * (fixtures/img2img/public/, the diffusers reference case inpaint_euler's pictures), and the element's
 * PNG is the CLI's for the same parameters within 1/255 (`npm run cli -- generate --model
 * public/models/shapes-sd-fp32 --init-image ... --mask ... --strength ...`, run here as a child
 * process). On SwiftShader the element runs the bundled shapes-sd on onnxruntime-web's wasm backend
 * (backend-choice.ts), as the CLI does in Node; a few steps keep it short.
 * Then the same pictures as a Blob (initImage) and an ImageBitmap (mask) give the same PNG, and bad
 * pictures (a mask of another size, a URL that 404s, bytes that are not an image) are one sd-error
 * each before any model work: the page's engine never starts. A model folder without vae_encoder/ is
 * refused by the engine from the folder's file list (model_index.json and HEAD requests), before any
 * graph or weight is fetched and before any session loads, as the same one-line sd-error.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../src/core/parameters.js';
import { readPngTextChunks } from '../src/core/png.js';
import type { ResolvedRequest } from '../src/engine/request/request.js';
import { decodePng, pngLevelError } from '../src/testing/png-decode.js';
import { launchChromium } from './lib/browser.js';
import { cliReference } from './lib/cli-reference.js';
import { productionBuild, startPreview, type ProductionServer } from './lib/production-server.js';

const FIXTURES = 'fixtures/img2img/public/';
/** inpaint_euler's prompt, pictures, scheduler and seed (fixtures/img2img/public/manifest.json), with 4 steps: int(4 x 0.75) = 3 run. */
const CASE = {
  prompt: 'a white star on a black background',
  scheduler: 'euler',
  steps: 4,
  guidance: 7.5,
  seed: 7,
  strength: 0.75,
  init: 'init_B.png',
  mask: 'mask_center.png',
};

interface Outcome {
  ok: boolean;
  error?: { name: string; message: string };
  png?: number[];
  request?: ResolvedRequest;
  /** sd-* event types (denoise progress as 'denoise i/n', other progress as 'progress <stage>') this generate() fired on the element. */
  events: string[];
  /** Whether the page's shared engine (its worker) had started when generate() settled. */
  engineStarted: boolean;
}

declare global {
  interface Window {
    inpaint(attributes: Record<string, string | null>, pictures?: 'blob-and-bitmap'): Promise<Outcome>;
  }
}

let server: ProductionServer;
/** Requests for the model folder without vae_encoder/: `METHOD path` below /no-encoder/. */
const noEncoderRequests: string[] = [];
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** shapes-sd fp32 without its vae_encoder/ (the other parts linked): a model that cannot do img2img. */
function folderWithoutEncoder(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sd-element-no-encoder-')), 'shapes-sd-no-encoder');
  mkdirSync(dir);
  for (const part of ['model_index.json', 'scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder'])
    symlinkSync(resolve('public/models/shapes-sd-fp32', part), join(dir, part));
  return dir;
}

beforeAll(async () => {
  const logNoEncoder = (url: string, method: string) =>
    void (url.startsWith('/no-encoder/') && noEncoderRequests.push(`${method} ${url.slice('/no-encoder/'.length).split('?')[0]}`));
  server = await startPreview(await productionBuild(), 0, logNoEncoder, { '/fixtures/img2img/': FIXTURES, '/no-encoder/': folderWithoutEncoder() });
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${server.url}examples/element.html`);
  await page.waitForFunction(() => customElements.get('sd-text-to-image') !== undefined);
  await page.evaluate(`window.elementModule = import(new URL('../lib/sd-text-to-image.js', location.href).href)`);
  await page.evaluate(() => {
    /** Sets attributes on #first (null removes; with 'blob-and-bitmap' the init-image / mask URLs go in as a Blob and an ImageBitmap instead), generates, reports. */
    window.inpaint = async (attributes, pictures) => {
      const element = document.getElementById('first') as HTMLElementTagNameMap['sd-text-to-image'];
      for (const [name, value] of Object.entries(attributes)) {
        if (value === null) element.removeAttribute(name);
        else element.setAttribute(name, value);
      }
      if (pictures === 'blob-and-bitmap') {
        const blob = await (await fetch(element.getAttribute('init-image')!)).blob();
        const bitmap = await createImageBitmap(await (await fetch(element.getAttribute('mask')!)).blob());
        element.initImage = blob;
        element.mask = bitmap;
        if (element.hasAttribute('init-image') || element.hasAttribute('mask') || element.initImage !== blob || element.mask !== bitmap)
          throw new Error('the properties did not take the Blob / ImageBitmap');
      }
      const events: string[] = [];
      const record = (event: Event) => {
        const detail = (event as CustomEvent<{ stage?: string; step?: number; total?: number }>).detail;
        if (event.type !== 'sd-progress') events.push(event.type);
        else events.push(detail.stage === 'denoise' ? `denoise ${detail.step}/${detail.total}` : `progress ${detail.stage}`);
      };
      const types = ['sd-progress', 'sd-preview', 'sd-complete', 'sd-error'];
      for (const type of types) element.addEventListener(type, record);
      const module = await (window as unknown as { elementModule: Promise<{ SdTextToImageElement: { sharedEngine: { started: boolean } } }> }).elementModule;
      const done = (outcome: Omit<Outcome, 'events' | 'engineStarted'>): Outcome => {
        for (const type of types) element.removeEventListener(type, record);
        return { ...outcome, events, engineStarted: module.SdTextToImageElement.sharedEngine.started };
      };
      try {
        const result = await element.generate();
        return done({ ok: true, png: Array.from(new Uint8Array(await result.blob.arrayBuffer())), request: result.request });
      } catch (error) {
        return done({ ok: false, error: { name: (error as Error).name, message: (error as Error).message } });
      }
    };
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Largest difference between two PNGs' decoded RGBA, in 0-255 levels. */
function pngLevels(a: Uint8Array, b: Uint8Array): number {
  const [x, y] = [decodePng(a), decodePng(b)];
  expect([x.width, x.height]).toEqual([y.width, y.height]);
  let max = 0;
  for (let i = 0; i < x.rgba.length; i++) max = Math.max(max, Math.abs(x.rgba[i] - y.rgba[i]));
  return max;
}

describe('<sd-text-to-image> img2img / inpainting', () => {
  it('refuses bad pictures with one sd-error each, before any model work', async () => {
    const init = '/fixtures/img2img/init_B.png';
    const cases: [Record<string, string | null>, string, string][] = [
      [
        { 'init-image': init, mask: '/icons/icon-192.png' },
        'InvalidRequestError',
        "The mask is 192x192 but the init image is 128x128: give a mask of the image's size.",
      ],
      [
        { 'init-image': '/fixtures/img2img/nope.png', mask: null },
        'InvalidRequestError',
        `The init image (${server.url}fixtures/img2img/nope.png) could not be fetched: HTTP 404. Check the URL.`,
      ],
      [
        { 'init-image': '/fixtures/img2img/manifest.json', mask: null },
        'InvalidRequestError',
        `The init image (${server.url}fixtures/img2img/manifest.json) cannot be used: it is not a PNG, JPEG or WebP file.`,
      ],
      [
        { 'init-image': init, strength: '1.5' },
        'InvalidRequestError',
        'The strength attribute must be a number in (0, 1], how much of the picture is repainted (got "1.5").',
      ],
      [
        { 'init-image': null, strength: null, mask: '/fixtures/img2img/mask_center.png' },
        'InvalidRequestError',
        'A mask needs an init image: set init-image (or the initImage property) to the picture to inpaint as well.',
      ],
    ];
    for (const [attributes, name, message] of cases) {
      const outcome = await page.evaluate((a) => window.inpaint(a), { prompt: 'x', steps: '2', ...attributes });
      expect(outcome.error?.name).toBe(name);
      expect(outcome.error?.message.startsWith(message), outcome.error?.message).toBe(true);
      expect(outcome.error?.message).not.toContain('\n');
      expect(outcome.events).toEqual(['sd-error']);
      expect(outcome.engineStarted).toBe(false);
    }
    const status = await page.evaluate(() => document.getElementById('first')!.shadowRoot!.querySelector('[part="status"]')!.textContent);
    expect(status).toMatch(/^A mask needs an init image/);
  });

  it('init-image + mask attributes: the same picture as the CLI (within 1/255), the same events as text-to-image', async () => {
    const attributes = {
      prompt: CASE.prompt,
      'prompt-syntax': 'plain',
      scheduler: CASE.scheduler,
      steps: String(CASE.steps),
      guidance: String(CASE.guidance),
      seed: String(CASE.seed),
      strength: null,
      width: null,
      height: null,
      preview: '',
      'init-image': `/fixtures/img2img/${CASE.init}`,
      mask: `/fixtures/img2img/${CASE.mask}`,
    };
    const outcome = await page.evaluate((a) => window.inpaint(a), attributes);
    expect(outcome.error).toBeUndefined();
    // strength absent: 0.75, int(4 x 0.75) = 3 steps run.
    expect(outcome.request).toEqual({
      prompt: CASE.prompt,
      negativePrompt: '',
      promptSyntax: 'plain',
      scheduler: 'euler',
      numInferenceSteps: 4,
      guidanceScale: 7.5,
      seed: 7,
      width: 128,
      height: 128,
      strength: 0.75,
    });
    const denoise = outcome.events.filter((e) => e.startsWith('denoise'));
    expect(denoise).toEqual(['denoise 1/3', 'denoise 2/3', 'denoise 3/3']);
    // shapes-sd has the tiny decoder: its previews keep to a time budget, the first step's always (preview-choice.ts).
    const previews = outcome.events.filter((e) => e === 'sd-preview').length;
    expect(previews).toBeGreaterThanOrEqual(1);
    expect(previews).toBeLessThanOrEqual(3);
    expect(outcome.events.indexOf('sd-preview')).toBe(outcome.events.indexOf('denoise 1/3') + 1);
    expect(outcome.events.at(-1)).toBe('sd-complete');
    const png = Uint8Array.from(outcome.png!);
    expect(parseParameters(readPngTextChunks(png).parameters)).toMatchObject({
      prompt: CASE.prompt,
      seed: 7,
      steps: 4,
      denoisingStrength: 0.75,
      width: 128,
      height: 128,
    });

    const dir = mkdtempSync(join(tmpdir(), 'sd-element-i2i-'));
    const cli = await cliReference(dir, [
      '--model',
      'public/models/shapes-sd-fp32',
      '--prompt',
      CASE.prompt,
      '--scheduler',
      CASE.scheduler,
      '--steps',
      String(CASE.steps),
      '--guidance',
      String(CASE.guidance),
      '--seed',
      String(CASE.seed),
      '--init-image',
      FIXTURES + CASE.init,
      '--mask',
      FIXTURES + CASE.mask,
      '--strength',
      String(CASE.strength),
    ]);
    const levels = pngLevels(png, cli.png);
    const fromRaw = pngLevelError(png, cli.image);
    console.log(`[element-img2img.e2e] element PNG vs CLI PNG: max ${levels} level(s); vs the CLI's --raw rounded: max ${fromRaw}`);
    expect(levels).toBeLessThanOrEqual(1);
    expect(fromRaw).toBeLessThanOrEqual(1);
    // Inpainting, not a copy: the masked centre changed from the init picture.
    const [init, out] = [decodePng(readFileSync(FIXTURES + CASE.init)), decodePng(png)];
    const centre = (64 * 128 + 64) * 4;
    expect(
      Math.abs(init.rgba[centre] - out.rgba[centre]) +
        Math.abs(init.rgba[centre + 1] - out.rgba[centre + 1]) +
        Math.abs(init.rgba[centre + 2] - out.rgba[centre + 2]),
    ).toBeGreaterThan(0);

    // The same pictures given to the properties as a Blob and an ImageBitmap: the same PNG, byte for byte.
    const again = await page.evaluate((a) => window.inpaint(a, 'blob-and-bitmap'), { ...attributes, preview: null });
    expect(again.error).toBeUndefined();
    expect(Buffer.from(again.png!).equals(Buffer.from(png))).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('a model folder without vae_encoder/: one sd-error saying so, before its graphs or weights are fetched or any session loads', async () => {
    const outcome = await page.evaluate((a) => window.inpaint(a), {
      model: '/no-encoder/',
      preview: null,
      steps: '2',
      'init-image': `/fixtures/img2img/${CASE.init}`,
      mask: null,
    });
    expect(outcome.error).toEqual({
      name: 'ModelFileMissingError',
      message: '"no-encoder" has no vae_encoder/model.onnx, which img2img and inpainting need: use a model folder exported with its VAE encoder.',
    });
    // What moved: manifest.json tried (none here), model_index.json read, the other files' sizes asked by HEAD; no file body but the index.
    const gets = noEncoderRequests.filter((r) => r.startsWith('GET ')).map((r) => r.slice(4));
    expect(gets.filter((path) => path !== 'manifest.json')).toEqual(['model_index.json']);
    expect(noEncoderRequests).toContain('HEAD vae_encoder/model.onnx');
    // The only progress is model_index.json's download and check (the log above: no other GET); no load, no step.
    expect(outcome.events.filter((e) => e !== 'progress download' && e !== 'progress verify')).toEqual(['sd-error']);
    expect(outcome.events.at(-1)).toBe('sd-error');
    expect(outcome.events.filter((e) => e === 'sd-error')).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });
});
