/**
 * <sd-text-to-image> in Chromium, against the production build served by `vite preview`: the page is
 * the library's own example (dist/examples/element.html), which loads only dist/lib/define.js;
 * the model is the bundled shapes-sd that the library ships next to itself (fp32: SwiftShader has no
 * shader-f16), 128x128, 1-3 DDIM steps (SwiftShader takes seconds per UNet call).
 *
 * One browser context for the file: the first test downloads the weights into IndexedDB, later ones
 * reuse them (and check that they do).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngTextChunks } from '../src/core/png.js';
import type { ResolvedRequest } from '../src/engine/request/request.js';
import { StableDiffusionPipeline } from '../src/engine/pipeline.js';
import { DirectoryModelSource } from '../src/node/directory-source.js';
import { wasmRuntime } from '../src/node/ort-node.js';
import { decodePng } from '../src/testing/png-decode.js';
import { launchChromium } from './lib/browser.js';
import { productionBuild, startPreview, type ProductionServer } from './lib/production-server.js';

/** What the page records of each sd-* event (on document: they bubble out of the element). */
interface Recorded {
  type: 'sd-progress' | 'sd-preview' | 'sd-complete' | 'sd-error';
  target: string;
  bubbles: boolean;
  composed: boolean;
  stage?: string;
  step?: number;
  total?: number;
  kind?: string;
  bitmapSize?: [number, number];
  /** The bitmap's width once the listeners have returned (0: closed, as documented). */
  bitmapWidthAfter?: number;
  name?: string;
  message?: string;
}

interface Outcome {
  ok: boolean;
  error?: { name: string; message: string };
  width?: number;
  height?: number;
  type?: string;
  png?: number[];
  request?: ResolvedRequest;
  model?: string;
}

declare global {
  interface Window {
    recorded: Recorded[];
    run(id: string, attributes: Record<string, string | null>): Promise<Outcome>;
  }
}

let server: ProductionServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startPreview(await productionBuild());
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${server.url}examples/element.html`);
  await page.waitForFunction(() => customElements.get('sd-text-to-image') !== undefined);
  await page.evaluate(() => {
    window.recorded = [];
    for (const type of ['sd-progress', 'sd-preview', 'sd-complete', 'sd-error'] as const) {
      document.addEventListener(type, (event) => {
        const { detail } = event as CustomEvent<Record<string, unknown>>;
        const entry: Recorded = { type, target: (event.target as HTMLElement).id, bubbles: event.bubbles, composed: event.composed };
        if (type === 'sd-progress') Object.assign(entry, { stage: detail.stage, step: detail.step, total: detail.total });
        if (type === 'sd-preview') {
          const bitmap = detail.bitmap as ImageBitmap;
          Object.assign(entry, { step: detail.step, total: detail.total, kind: detail.kind, bitmapSize: [bitmap.width, bitmap.height] });
          setTimeout(() => (entry.bitmapWidthAfter = bitmap.width));
        }
        if (type === 'sd-error') Object.assign(entry, { name: detail.name, message: detail.message });
        window.recorded.push(entry);
      });
    }
    /** Sets attributes (null removes), calls generate(), and reports the outcome with the PNG's bytes. */
    window.run = async (id, attributes) => {
      const element = document.getElementById(id) as HTMLElementTagNameMap['sd-text-to-image'];
      for (const [name, value] of Object.entries(attributes)) {
        if (value === null) element.removeAttribute(name);
        else element.setAttribute(name, value);
      }
      try {
        const result = await element.generate();
        const png = Array.from(new Uint8Array(await result.blob.arrayBuffer()));
        return { ok: true, width: result.width, height: result.height, type: result.blob.type, png, request: result.request, model: result.model };
      } catch (error) {
        return { ok: false, error: { name: (error as Error).name, message: (error as Error).message } };
      }
    };
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Largest difference between two RGBA byte arrays of the same size, in 0-255 levels. */
function maxLevelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function takeRecorded(): Promise<Recorded[]> {
  return page.evaluate(() => window.recorded.splice(0));
}

const isStore = (e: Recorded) => e.type === 'sd-progress' && ['download', 'retry', 'verify', 'repair', 'done'].includes(e.stage!);
const isDenoise = (e: Recorded) => e.type === 'sd-progress' && e.stage === 'denoise';

/** One element's events of one successful generate(), in the documented order. */
function expectDocumentedOrder(events: Recorded[], steps: number, previews: boolean): void {
  expect(events.length).toBeGreaterThan(0);
  expect(events.every((e) => e.bubbles && e.composed)).toBe(true);
  expect(events.filter((e) => e.type === 'sd-complete')).toHaveLength(1);
  expect(events.at(-1)!.type).toBe('sd-complete');
  expect(events.filter((e) => e.type === 'sd-error')).toEqual([]);

  const index = (predicate: (e: Recorded) => boolean) => events.findIndex(predicate);
  const lastIndex = (predicate: (e: Recorded) => boolean) => events.findLastIndex(predicate);
  const denoise = events.filter(isDenoise);
  expect(denoise.map((e) => e.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  expect(new Set(denoise.map((e) => e.total))).toEqual(new Set([steps]));
  // Weights and model loading come before the first step; decoding after the last, then the image.
  const firstDenoise = index(isDenoise);
  expect(lastIndex((e) => isStore(e) || e.stage === 'load')).toBeLessThan(firstDenoise);
  const decode = index((e) => e.stage === 'decode');
  expect(decode).toBeGreaterThan(lastIndex(isDenoise));
  expect(decode).toBeLessThan(events.length - 1);

  const previewEvents = events.filter((e) => e.type === 'sd-preview');
  if (!previews) return expect(previewEvents).toEqual([]);
  // shapes-sd ships taesd_decoder/: previews are the tiny decoder's full-size pictures, from the first step, on the
  // steps the preview budget (10% of the loop's time, preview-choice.ts) allows: a rising subset of the steps.
  const previewSteps = previewEvents.map((e) => e.step!);
  expect(previewSteps[0]).toBe(1);
  expect(previewSteps.every((step, i) => i === 0 || step > previewSteps[i - 1])).toBe(true);
  expect(previewSteps.every((step) => step <= steps)).toBe(true);
  for (const preview of previewEvents) {
    // Each preview right after its step's progress, before the next step's.
    const at = events.indexOf(preview);
    expect(events[at - 1]).toMatchObject({ type: 'sd-progress', stage: 'denoise', step: preview.step });
    expect(preview).toMatchObject({ kind: 'tiny', total: steps, bitmapSize: [128, 128], bitmapWidthAfter: 0 });
  }
}

describe('<sd-text-to-image> (production build, library only)', () => {
  it('reflects its attributes as typed properties, and upgrades properties set before definition', async () => {
    const seen = await page.evaluate(() => {
      const element = document.createElement('sd-text-to-image');
      const before = { model: element.model, steps: element.steps, preview: element.preview, busy: element.busy, prompt: element.prompt };
      element.steps = 4;
      element.guidance = 1.5;
      element.seed = 7;
      element.negativePrompt = 'blurry';
      element.preview = true;
      const reflected = ['steps', 'guidance', 'seed', 'negative-prompt', 'preview'].map((name) => element.getAttribute(name));
      element.setAttribute('width', 'wide');
      element.setAttribute('preview', 'off');
      const parsed = { width: element.width, preview: element.preview };
      element.seed = null;
      const seedRemoved = !element.hasAttribute('seed');
      // An element made in an inert document is not upgraded: its property is a plain own property
      // until it is adopted and connected, when the element re-applies it through the accessor.
      const inert = document.implementation.createHTMLDocument('').createElement('sd-text-to-image') as HTMLElement & { steps?: unknown };
      inert.steps = 9;
      document.body.append(document.adoptNode(inert));
      const upgraded = { steps: (inert as HTMLElementTagNameMap['sd-text-to-image']).steps, attribute: inert.getAttribute('steps') };
      inert.remove();
      return { before, reflected, parsed, seedRemoved, upgraded };
    });
    expect(seen.before).toEqual({ model: 'shapes-sd', steps: null, preview: false, busy: false, prompt: '' });
    expect(seen.reflected).toEqual(['4', '1.5', '7', 'blurry', '']);
    expect(seen.parsed.width).toBeNaN();
    expect(seen.parsed.preview).toBe(false);
    expect(seen.seedRemoved).toBe(true);
    expect(seen.upgraded).toEqual({ steps: 9, attribute: '9' });
  });

  it('offers its documented parts and custom properties for styling', async () => {
    const styles = await page.evaluate(() => {
      const themed = document.getElementById('second')!.shadowRoot!;
      const parts = [...document.getElementById('first')!.shadowRoot!.querySelectorAll('[part]')].map((el) => el.getAttribute('part'));
      return {
        parts,
        // --sd-accent: #0f766e and ::part(prompt) { font-family: monospace } from the example page.
        button: getComputedStyle(themed.querySelector('[part="button"]')!).backgroundColor,
        prompt: getComputedStyle(themed.querySelector('[part="prompt"]')!).fontFamily,
        plainButton: getComputedStyle(document.getElementById('first')!.shadowRoot!.querySelector('[part="button"]')!).backgroundColor,
      };
    });
    expect(styles.parts).toEqual(['base', 'form', 'prompt', 'button', 'cancel-button', 'progress', 'status', 'stage', 'image', 'preview']);
    expect(styles.button).toBe('rgb(15, 118, 110)');
    expect(styles.plainButton).toBe('rgb(79, 70, 229)');
    expect(styles.prompt).toMatch(/monospace/);
  });

  it('generates with the bundled model (downloaded next to the library) and fires its events in order', async () => {
    await takeRecorded();
    const outcome = await page.evaluate(() => window.run('first', { steps: '2', scheduler: 'ddim', seed: '42', preview: '' }));
    const events = (await takeRecorded()).filter((e) => e.target === 'first');
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({ ok: true, width: 128, height: 128, type: 'image/png' });
    expect(outcome.request).toEqual({
      prompt: 'a red circle on a blue background',
      negativePrompt: '',
      promptSyntax: 'a1111',
      seed: 42,
      numInferenceSteps: 2,
      scheduler: 'ddim',
      width: 128,
      height: 128,
      guidanceScale: 7.5,
    });

    const png = Uint8Array.from(outcome.png!);
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([128, 128]);
    expect(readPngTextChunks(png).parameters).toMatch(/^a red circle on a blue background\nSteps: 2, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 128x128/);

    // First visit: the weights came from the network into IndexedDB before loading.
    expect(events.some((e) => e.stage === 'download')).toBe(true);
    expect(events.find((e) => e.stage === 'done')).toBeTruthy();
    expectDocumentedOrder(events, 2, true);

    const view = await page.evaluate(() => {
      const element = document.getElementById('first')!;
      const root = element.shadowRoot!;
      const img = root.querySelector<HTMLImageElement>('[part="image"]')!;
      return {
        busy: element.hasAttribute('busy'),
        src: img.src,
        alt: img.alt,
        hidden: img.hidden,
        naturalWidth: img.naturalWidth,
        status: root.querySelector('[part="status"]')!.textContent,
        progressHidden: root.querySelector<HTMLElement>('[part="progress"]')!.hidden,
      };
    });
    expect(view).toMatchObject({ busy: false, alt: 'a red circle on a blue background', hidden: false, naturalWidth: 128, progressHidden: true });
    expect(view.src).toMatch(/^blob:/);
    expect(view.status).toMatch(/^Seed 42 · 2 steps/);

    // Pixels. The element shows exactly the PNG it returned (its <img> drawn into a canvas and read back)...
    const shown = await page.evaluate(() => {
      const img = document.getElementById('first')!.shadowRoot!.querySelector<HTMLImageElement>('[part="image"]')!;
      const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
      const context = canvas.getContext('2d')!;
      context.drawImage(img, 0, 0);
      return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data);
    });
    const decoded = Array.from(image.rgba);
    expect(maxLevelDiff(shown, decoded)).toBe(0);
    // ...and that PNG is the engine's picture for this request: the same pipeline in Node (onnxruntime-web's
    // wasm, as the element uses on SwiftShader, see backend-choice.ts) within 3/255, pipeline.test.ts's
    // tolerance for shapes-sd pictures (up to that much if a hardware GPU ran the element on WebGPU).
    const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('public/models/shapes-sd-fp32'), {
      executionProviders: ['wasm'],
    });
    try {
      const reference = await pipeline.generate({ ...outcome.request!, seed: outcome.request!.seed ?? undefined });
      const levels = maxLevelDiff(decoded, Array.from(reference.rgba));
      console.log(`[element.e2e] the element's picture vs the Node pipeline (wasm): max ${levels} level(s)`);
      expect(levels).toBeLessThanOrEqual(3);
      // Not a blank or uniform picture: the levels spread (the tiny model draws a shape on a background).
      expect(Math.max(...decoded) - Math.min(...decoded)).toBeGreaterThan(100);
    } finally {
      await pipeline.dispose();
    }
  });

  it('two elements on one page: one worker, one stored copy of the weights, taking turns', async () => {
    await takeRecorded();
    const [first, second] = await page.evaluate(() =>
      Promise.all([
        window.run('first', { steps: '2', scheduler: 'ddim', guidance: '1', seed: '7', preview: null }),
        window.run('second', { steps: '2', scheduler: 'ddim', guidance: '1', seed: null }),
      ]),
    );
    const events = await takeRecorded();
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(first.request).toMatchObject({ prompt: 'a red circle on a blue background', seed: 7, numInferenceSteps: 2 });
    expect(second.request).toMatchObject({ prompt: 'a yellow triangle on a black background', numInferenceSteps: 2, scheduler: 'ddim' });
    // No seed attribute: a random 32-bit seed, reported so the image can be reproduced.
    expect(Number.isInteger(second.request!.seed) && second.request!.seed! >= 0 && second.request!.seed! < 2 ** 32).toBe(true);
    expect(Buffer.from(first.png!).equals(Buffer.from(second.png!))).toBe(false);

    const ofFirst = events.filter((e) => e.target === 'first');
    const ofSecond = events.filter((e) => e.target === 'second');
    expect(ofFirst.length + ofSecond.length).toBe(events.length);
    expectDocumentedOrder(ofFirst, 2, false);
    expectDocumentedOrder(ofSecond, 2, false);
    // Taking turns, as the engine guarantees (one generation at a time): one element's whole run (its steps
    // and its decode) comes before the other's first step. Which runs first, and when each element's
    // sd-complete fires (after its image is decoded in the page), is not part of that guarantee.
    const running = (e: Recorded) => isDenoise(e) || e.stage === 'decode';
    const span = (target: string) => {
      const at = events.flatMap((e, i) => (e.target === target && running(e) ? [i] : []));
      return { from: at[0]!, to: at.at(-1)! };
    };
    const [a, b] = [span('first'), span('second')].sort((x, y) => x.from - y.from);
    expect(b!.from).toBeGreaterThan(a!.to);
    // The weights are already stored (and the model loaded): no weight-store traffic at all.
    expect(events.filter(isStore)).toEqual([]);

    const engineWorkers = page.workers().filter((worker) => /\/lib\/engine\.worker\.js$/.test(worker.url()));
    expect(engineWorkers).toHaveLength(1);
    // The library module the page loaded (same URL, same module): its page-wide engine. (A string, so vitest leaves import() alone.)
    const stored = await page.evaluate(`import(new URL('../lib/sd-text-to-image.js', location.href).href)
      .then(({ SdTextToImageElement }) => SdTextToImageElement.sharedEngine.engine.listModels())
      .then((models) => models.map((m) => ({ id: m.id, complete: m.complete })))`);
    expect(stored).toEqual([{ id: `${server.url}lib/models/shapes-sd-fp32/`, complete: true }]);
  });

  it('cancel() stops a generation between steps: generate() rejects with CancelledError, sd-error says so, and the element works again', async () => {
    await takeRecorded();
    const outcome = await page.evaluate(() => {
      const element = document.getElementById('first') as HTMLElementTagNameMap['sd-text-to-image'];
      element.addEventListener('sd-progress', (event) => event.detail.stage === 'denoise' && element.cancel(), { once: false });
      return window.run('first', { steps: '3', scheduler: 'ddim', guidance: '1', seed: '1' });
    });
    expect(outcome).toEqual({ ok: false, error: { name: 'CancelledError', message: expect.any(String) } });
    const events = (await takeRecorded()).filter((e) => e.target === 'first');
    expect(events.at(-1)).toMatchObject({ type: 'sd-error', name: 'CancelledError' });
    expect(events.filter(isDenoise).length).toBeLessThan(3);
    expect(events.some((e) => e.type === 'sd-complete')).toBe(false);
    const after = await page.evaluate(() => ({
      busy: document.getElementById('first')!.hasAttribute('busy'),
      status: document.getElementById('first')!.shadowRoot!.querySelector('[part="status"]')!.textContent,
    }));
    expect(after).toEqual({ busy: false, status: 'Cancelled.' });

    // The page's listener above cancels at the first step: use the other element to show the engine is fine.
    const again = await page.evaluate(() => window.run('second', { steps: '1', scheduler: 'ddim', guidance: '1', seed: '3' }));
    expect(again).toMatchObject({ ok: true, request: { seed: 3, numInferenceSteps: 1 } });
  });

  it('a worker that cannot start (wrong assetsUrl): sd-error within seconds, not busy; with the right URL the next element works (issue 25 item 5)', async () => {
    await takeRecorded();
    const failed = await page.evaluate(async () => {
      const Element = customElements.get('sd-text-to-image') as unknown as { assetsUrl: string | null; sharedEngine: { dispose(): Promise<void> } };
      await Element.sharedEngine.dispose(); // the next job starts a worker from assetsUrl
      const good = Element.assetsUrl;
      Element.assetsUrl = new URL('nowhere/', document.baseURI).href;
      const started = performance.now();
      const outcome = await window.run('first', { steps: '1', scheduler: 'ddim', guidance: '1', seed: '5' });
      Element.assetsUrl = good;
      return { outcome, ms: performance.now() - started, busy: document.getElementById('first')!.hasAttribute('busy') };
    });
    expect(failed.outcome).toEqual({
      ok: false,
      error: { name: 'EngineWorkerError', message: expect.stringMatching(/^The engine's web worker \(.*nowhere\/engine\.worker\.js\) stopped: .*assets URL/) },
    });
    expect(failed.ms).toBeLessThan(10_000);
    expect(failed.busy).toBe(false);
    const events = await takeRecorded();
    expect(events.filter((e) => e.type === 'sd-error')).toEqual([expect.objectContaining({ target: 'first', name: 'EngineWorkerError' })]);

    const again = await page.evaluate(() => window.run('second', { steps: '1', scheduler: 'ddim', guidance: '1', seed: '3' }));
    expect(again).toMatchObject({ ok: true, request: { seed: 3, numInferenceSteps: 1 } });
  });

  it('refuses bad attributes up front (naming the attribute), and a second generate() while one runs', async () => {
    await takeRecorded();
    const bad = await page.evaluate(() => window.run('second', { steps: 'abc' }));
    expect(bad).toEqual({
      ok: false,
      error: { name: 'InvalidRequestError', message: 'The steps attribute must be a decimal number such as 20 or 7.5 (got "abc").' },
    });
    const unknownModel = await page.evaluate(() => window.run('second', { steps: '1', model: 'shapes' }));
    expect(unknownModel.error).toMatchObject({ name: 'InvalidRequestError', message: expect.stringMatching(/Unknown model "shapes"/) });
    const events = await takeRecorded();
    // Nothing started: only the errors.
    expect(events.map((e) => [e.type, e.name])).toEqual([
      ['sd-error', 'InvalidRequestError'],
      ['sd-error', 'InvalidRequestError'],
    ]);
    const status = await page.evaluate(() => document.getElementById('second')!.shadowRoot!.querySelector('[part="status"]')!.textContent);
    expect(status).toMatch(/Unknown model "shapes"/);

    const overlap = await page.evaluate(async () => {
      const element = document.getElementById('second') as HTMLElementTagNameMap['sd-text-to-image'];
      element.setAttribute('model', 'shapes-sd');
      const running = element.generate();
      const second = await element.generate().then(
        () => 'resolved',
        (error: Error) => `${error.name}: ${error.message}`,
      );
      // Moving the element (disconnect + connect) does not stop it; removing it does.
      element.parentElement!.append(element);
      await new Promise((resolve) => setTimeout(resolve, 0));
      const busyAfterMove = element.busy;
      const parent = element.parentElement!;
      element.remove();
      const first = await running.then(
        () => 'resolved',
        (error: Error) => error.name,
      );
      parent.append(element);
      return { second, busyAfterMove, first };
    });
    expect(overlap).toEqual({
      second: 'InvalidRequestError: This element is already generating: wait for sd-complete, or call cancel() first.',
      busyAfterMove: true,
      first: 'CancelledError',
    });
    expect(pageErrors).toEqual([]);
  });
});
