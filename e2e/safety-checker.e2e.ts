/**
 * The safety checker's surfaces in Chromium (production build): a model folder with safety_checker/ and
 * feature_extractor/ (fixtures/safety over the tiny-sd fixture, src/testing/safety-model.ts) served by the
 * test server, run on onnxruntime-web's wasm backend (Chromium without WebGPU: a model folder given by URL
 * has no known size, so the engine would choose SwiftShader's WebGPU, minutes per picture). Cases from
 * fixtures/safety/cases.json (diffusers' decisions): c0 flagged, c2 kept (0.005 under a threshold), 5 DDIM steps.
 *   - the app: the flagged seed gives a placeholder gallery tile ("Withheld by the safety checker", its seed),
 *     no sd-app:image, nothing stored, the canvas cleared; the kept seed gives its picture (within 1/255 of
 *     diffusers') in the gallery;
 *   - the element: the flagged seed is one sd-error named NsfwContentDetectedError, no sd-complete and no
 *     picture; the kept seed is sd-complete with diffusers' picture; safety-checker="off" set by the page
 *     makes the flagged picture.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngLevelError } from '../src/testing/png-decode.js';
import { readF32, readJson } from '../src/testing/reference-data.js';
import { safetyModelDir } from '../src/testing/safety-model.js';
import { type AppEvent, appEvents, clearAppEvents, modelLoaded, recordAppEvents } from './lib/app-events.js';
import { launchChromium } from './lib/browser.js';
import { productionBuild, startPreview, type ProductionServer } from './lib/production-server.js';

interface Case {
  id: string;
  prompt: string;
  seed: number;
  steps: number;
  guidance: number;
  scheduler: string;
  nsfw_content_detected: boolean;
  image?: { file: string };
}
const { cases } = readJson<{ cases: Case[] }>('fixtures/safety/cases.json');
const flagged = cases.find((c) => c.id === 'c0')!;
const kept = cases.find((c) => c.id === 'c2')!;

let server: ProductionServer;
let browser: Browser;

beforeAll(async () => {
  expect([flagged.nsfw_content_detected, kept.nsfw_content_detected]).toEqual([true, false]);
  server = await startPreview(await productionBuild(), 0, undefined, { '/safety-model/': safetyModelDir() });
  browser = await launchChromium({ webgpu: false }); // wasm: a model given by URL (size unknown) would take software WebGPU
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the app with a model that has a safety checker', () => {
  it('withholds the flagged seed as a placeholder tile (never stored), shows the kept one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await context.addInitScript(recordAppEvents, ['sd-app:state', 'sd-app:image', 'sd-app:withheld', 'sd-app:model-loaded']);
    const page = await context.newPage();
    await page.goto(server.url);
    await modelLoaded(page);
    expect(await page.isChecked('#safety-checker')).toBe(true);
    await page.selectOption('#model', 'custom');
    await page.fill('#custom-url', `${server.url}safety-model/`);
    const run = async (c: Case) => {
      await clearAppEvents(page);
      await page.fill('#prompt', c.prompt);
      await page.fill('#negative-prompt', '');
      await page.selectOption('#prompt-syntax', 'plain');
      await page.selectOption('#scheduler', c.scheduler);
      await page.fill('#steps', String(c.steps));
      await page.fill('#guidance-scale', String(c.guidance));
      await page.fill('#seed', String(c.seed));
      await page.fill('#batch-count', '1');
      await page.fill('#width', '128');
      await page.fill('#height', '128');
      await page.click('#generate');
      // The job's end: the first done / error state after it started loading or generating.
      await page.waitForFunction(
        () => {
          const states = (window as unknown as { __events: AppEvent[] }).__events.filter((e) => e.type === 'sd-app:state').map((e) => String(e.detail.state));
          const started = states.findIndex((state) => state === 'loading' || state === 'generating');
          return started >= 0 && states.slice(started).some((state) => state === 'done' || state === 'error');
        },
        null,
        { timeout: 300_000, polling: 250 },
      );
      return appEvents(page);
    };

    const first = await run(flagged);
    expect(first.filter((e) => e.type === 'sd-app:image')).toEqual([]);
    expect(first.filter((e) => e.type === 'sd-app:withheld').map((e) => e.detail)).toEqual([{ seed: flagged.seed, batchIndex: 0 }]);
    expect(await page.textContent('#gallery .gallery-item.withheld')).toBe(`Withheld by the safety checkerSeed ${flagged.seed} · try another seed or prompt`);
    expect(await page.locator('#gallery img').count()).toBe(0);
    expect(await page.getAttribute('#gallery', 'data-count')).not.toBe('1');
    const blank = await page.evaluate(() => {
      const canvas = document.getElementById('preview') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      return { kind: canvas.dataset.kind, drawn: data.some((v) => v !== 0) };
    });
    expect(blank).toEqual({ kind: 'withheld', drawn: false });

    const second = await run(kept);
    expect(second.filter((e) => e.type === 'sd-app:image').map((e) => e.detail.seed)).toEqual([kept.seed]);
    expect(await page.getAttribute('#gallery', 'data-count')).toBe('1');
    expect(await page.locator('#gallery .gallery-item').count()).toBe(2); // the kept picture and the placeholder
    const src = await page.getAttribute('#gallery img', 'src');
    const png = new Uint8Array(await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url!)).arrayBuffer())), src));
    expect(pngLevelError(png, readF32(`fixtures/safety/${kept.image!.file}`))).toBeLessThanOrEqual(1);
    await context.close();
  });
});

describe('<sd-text-to-image> with a model that has a safety checker', () => {
  it('a flagged picture is one sd-error NsfwContentDetectedError and no picture; a kept one is sd-complete; safety-checker="off" makes it', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}examples/element.html`);
    await page.waitForFunction(() => customElements.get('sd-text-to-image') !== undefined);
    const generate = (c: Case, extra: Record<string, string> = {}) =>
      page.evaluate(
        async ([attributes]) => {
          const element = document.getElementById('first') as HTMLElementTagNameMap['sd-text-to-image'];
          for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
          const fired: string[] = [];
          const errors: { name: string; message: string }[] = [];
          const onEvent = (event: Event) => {
            if (event.type === 'sd-error') errors.push((event as CustomEvent<{ name: string; message: string }>).detail);
            if (event.type === 'sd-complete' || event.type === 'sd-error') fired.push(event.type);
          };
          element.addEventListener('sd-complete', onEvent);
          element.addEventListener('sd-error', onEvent);
          const png = await element.generate().then(
            async (r) => Array.from(new Uint8Array(await r.blob.arrayBuffer())),
            () => null,
          );
          const image = element.shadowRoot!.querySelector('[part~="image"]') as HTMLImageElement;
          return { png, fired, errors, imageShown: !image.hidden && image.getAttribute('src') !== null, result: element.result !== null };
        },
        [
          {
            model: `${server.url}safety-model/`,
            prompt: c.prompt,
            'prompt-syntax': 'plain',
            scheduler: c.scheduler,
            steps: String(c.steps),
            guidance: String(c.guidance),
            seed: String(c.seed),
            width: '128',
            height: '128',
            ...extra,
          },
        ] as const,
      );

    const withheld = await generate(flagged);
    expect(withheld.png).toBeNull();
    expect(withheld.fired).toEqual(['sd-error']);
    expect(withheld.errors).toEqual([{ name: 'NsfwContentDetectedError', message: expect.stringContaining('withheld by the safety checker') }]);
    expect(withheld.imageShown).toBe(false);
    expect(withheld.result).toBe(false);

    const shown = await generate(kept);
    expect(shown.fired).toEqual(['sd-complete']);
    expect(pngLevelError(new Uint8Array(shown.png!), readF32(`fixtures/safety/${kept.image!.file}`))).toBeLessThanOrEqual(1);

    const off = await generate(flagged, { 'safety-checker': 'off' });
    expect(off.fired).toEqual(['sd-complete']);
    expect(off.png).not.toBeNull();
  });
});
