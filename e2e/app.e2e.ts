/**
 * The app in Chromium with WebGPU on SwiftShader (no shader-f16, so the fp32 shapes-sd model):
 * it opens with the bundled demo selected, generates an example prompt end to end with live
 * previews, matches the CLI's picture for the same seed, cancels mid-run and generates again, keeps
 * its gallery across a reload, and round-trips generation parameters through PNG files.
 *
 * SwiftShader runs a UNet step of the 128x128 model in about 10-20 s on this 2-core machine, so
 * the runs use 4 PNDM steps (5 UNet calls: PNDM repeats its first timestep) and fewer for the rerun.
 * The tests share one page and run in order: each builds on the gallery the previous one left.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatParameters, parseParameters } from '../src/core/parameters.js';
import { encodePng, readPngTextChunks } from '../src/core/png.js';
import { decodePng } from '../src/testing/png-decode.js';
import { startAppServer, REPO_ROOT, type AppServer } from './lib/app-server.js';
import { type AppEvent, appEvents, clearAppEvents, modelLoaded, recordAppEvents } from './lib/app-events.js';
import { launchChromium } from './lib/browser.js';
import { cliReference } from './lib/cli-reference.js';
import { SCHEDULER_NAMES } from '../src/core/schedulers/index.js';

const PROMPT = 'a blue cross on a yellow background'; // one of shapes-sd's example prompts
const SEED = 1234;
const STEPS = 4;
/** WebGPU (SwiftShader, fp32) vs the CLI on wasm (fp32): float maths differs in the last bits. */
const TOLERANCE = 3; // of 255

let server: AppServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let reference: { image: Float32Array; png: Uint8Array };
let appPng: Uint8Array;

beforeAll(async () => {
  // The reference: the CLI on the wasm backend, same model folder, prompt, seed, steps, PNDM, CFG 7.5.
  const dir = mkdtempSync(join(tmpdir(), 'sd-app-e2e-'));
  reference = await cliReference(dir, ['--prompt', PROMPT, '--seed', String(SEED), '--steps', String(STEPS)]);

  server = await startAppServer();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(recordAppEvents, ['sd-app:state', 'sd-app:preview', 'sd-app:image', 'sd-app:model-loaded', 'sd-app:restored']);
  // This suite's point is WebGPU (SwiftShader) against the CLI on wasm: force WebGPU, which the app
  // otherwise leaves for the CPU on a software adapter (e2e/app-software-gpu.e2e.ts).
  await context.addInitScript(() => localStorage.setItem('sd-web:force-webgpu', 'true'));
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const events = () => appEvents(page);
const clearEvents = () => clearAppEvents(page);
const waitForState = (state: string, timeout = 540_000) => page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout, polling: 250 });
const galleryCount = () => page.locator('#gallery > li').count();

async function fillSettings(settings: { steps: number; seed: number }): Promise<void> {
  await page.selectOption('#scheduler', 'pndm');
  // the cheap preview, one per sampler step (the default tiny-decoder preview keeps to 10% of the loop's time: e2e/app-taesd.e2e.ts)
  await page.evaluate(() => void (document.querySelector('#preview-kind')!.closest('details')!.open = true)); // the setting lives in a <details>
  await page.selectOption('#preview-kind', 'latent');
  await page.fill('#steps', String(settings.steps));
  await page.fill('#guidance-scale', '7.5');
  await page.fill('#seed', String(settings.seed));
  await page.fill('#negative-prompt', '');
  await page.fill('#batch-count', '1');
}

/** The newest gallery image's PNG file, as its download link serves it. */
async function newestPng(): Promise<Uint8Array> {
  const bytes = await page.evaluate(async () => {
    const link = document.querySelector<HTMLAnchorElement>('#gallery > li a.download')!;
    return Array.from(new Uint8Array(await (await fetch(link.href)).arrayBuffer()));
  });
  return Uint8Array.from(bytes);
}

describe('the app (WebGPU on SwiftShader, fp32 shapes-sd)', () => {
  it('opens with the bundled demo selected, says what it is, and offers its example prompts', async () => {
    await page.goto(server.url);
    await modelLoaded(page);

    expect(await page.inputValue('#model')).toBe('shapes-sd');
    const options = await page.locator('#model option').allTextContents();
    expect(options[0]).toContain('shapes-sd (bundled demo)');
    expect(options.some((o) => o.includes('Stable Diffusion v1.4'))).toBe(true);
    expect(await page.textContent('#model-description')).toContain('For real pictures load Stable Diffusion v1.4');
    expect(await page.locator('#example-list button').count()).toBe(16);
    expect(await page.textContent('#model-status')).toBe('Loaded: shapes-sd-fp32 on WebGPU, fp32.');
    expect(await page.isChecked('#force-webgpu')).toBe(true);
    // SwiftShader has no shader-f16: the banner says so, and why fp32 is used.
    expect(await page.textContent('#capabilities')).toContain('shader-f16');
    // Every form control has a label (the accessible name comes from <label for>).
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('input, select, textarea')].filter((el) => (el.labels?.length ?? 0) === 0).map((el) => el.id),
    );
    expect(unlabelled).toEqual([]);
    // Every scheduler of the engine is offered.
    expect(await page.locator('#scheduler option').count()).toBe(SCHEDULER_NAMES.length); // 11 with LCM and TCD
    // The live token counter counts with the model's tokenizer once loaded.
    await page.fill('#prompt', 'a red circle');
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.textContent === '3/75');
    // Prompts are read in AUTOMATIC1111's syntax by default: a long one takes a second chunk (e2e/app-prompts.e2e.ts);
    // the plain syntax cuts at 75 and says so.
    expect(await page.inputValue('#prompt-syntax')).toBe('a1111');
    await page.fill('#prompt', 'red '.repeat(80));
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.textContent === '80/150');
    await page.selectOption('#prompt-syntax', 'plain');
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.getAttribute('data-level') === 'over');
    expect(await page.textContent('.token-warning')).toBe(
      '80 tokens: the limit is 75, so the last 5 are ignored. Shorten the prompt, or use the AUTOMATIC1111 syntax, which reads long prompts in chunks.',
    );
    await page.selectOption('#prompt-syntax', 'a1111');
  });

  it('generates an example prompt end to end, previews first, and matches the CLI picture', async () => {
    await page.getByRole('button', { name: PROMPT, exact: true }).click();
    expect(await page.inputValue('#prompt')).toBe(PROMPT);
    await fillSettings({ steps: STEPS, seed: SEED });
    await clearEvents();
    await page.click('#generate');
    await waitForState('done');

    const log = await events();
    const previews = log.filter((e) => e.type === 'sd-app:preview');
    const image = log.find((e) => e.type === 'sd-app:image')!;
    // PNDM 4 steps run 5 UNet calls; previews count the 4 sampler steps, as diffusers' progress bar does.
    expect(previews.map((e) => `${e.detail.step}/${e.detail.totalSteps}`)).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(previews.every((e) => e.t < image.t)).toBe(true);
    expect(image.detail).toMatchObject({ seed: SEED, width: 128, height: 128 });
    expect(await page.getAttribute('#preview', 'data-kind')).toBe('final');
    expect(await galleryCount()).toBe(1);

    appPng = await newestPng();
    const parameters = parseParameters(readPngTextChunks(appPng).parameters);
    expect(parameters).toMatchObject({
      prompt: PROMPT,
      negativePrompt: '',
      steps: STEPS,
      sampler: 'PNDM',
      guidanceScale: 7.5,
      seed: SEED,
      width: 128,
      height: 128,
      model: 'shapes-sd-fp32',
    });

    const pixels = decodeRgb(appPng);
    const cli = decodeRgb(reference.png);
    expect([pixels.width, pixels.height]).toEqual([128, 128]);
    const vsFloat = maxAbsDiffToFloat(pixels, reference.image);
    const vsCliPng = maxAbsDiff(pixels.rgb, cli.rgb);
    console.log(
      `CLI vs browser, ${PROMPT}, seed ${SEED}, ${STEPS} steps: max |page PNG - CLI float x 255| = ${vsFloat.max.toFixed(3)}/255 (mean ${vsFloat.mean.toFixed(4)}); max |page PNG - CLI PNG| = ${vsCliPng.max}/255 (${vsCliPng.count} of ${pixels.rgb.length} channel values differ)`,
    );
    expect(vsFloat.max).toBeLessThanOrEqual(TOLERANCE);
    expect(vsCliPng.max).toBeLessThanOrEqual(TOLERANCE);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(REPO_ROOT, 'e2e/screenshots/app-desktop.png'), fullPage: true });
  });

  it('cancels mid-run, then generates again', async () => {
    await fillSettings({ steps: 8, seed: -1 });
    await clearEvents();
    await page.click('#generate');
    await page.waitForFunction(() => (window as unknown as { __events: AppEvent[] }).__events.some((e) => e.type === 'sd-app:preview'), null, {
      timeout: 300_000,
    });
    await page.click('#cancel');
    await waitForState('cancelled');
    expect(await page.textContent('#progress-text')).toBe('Cancelled. Ready for the next run.');
    expect((await events()).some((e) => e.type === 'sd-app:image')).toBe(false);
    expect(await galleryCount()).toBe(1);
    expect(await page.isEnabled('#generate')).toBe(true);

    await fillSettings({ steps: 2, seed: 7 });
    await clearEvents();
    await page.click('#generate');
    await waitForState('done');
    expect((await events()).filter((e) => e.type === 'sd-app:image').map((e) => e.detail.seed)).toEqual([7]);
    expect(await galleryCount()).toBe(2);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(REPO_ROOT, 'e2e/screenshots/app-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("keeps the gallery across a reload, and a click restores an image's parameters", async () => {
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#gallery > li').length === 2, null, { timeout: 60_000 });
    const captions = await page.locator('#gallery .caption').allTextContents();
    expect(captions).toEqual(['Seed 7 · PNDM · 2 steps', `Seed ${SEED} · PNDM · ${STEPS} steps`]);

    await page.fill('#prompt', 'something else');
    await page.fill('#seed', '5');
    await page.selectOption('#scheduler', 'euler');
    await page
      .locator('#gallery > li')
      .nth(1)
      .getByRole('button', { name: /Restore the parameters/ })
      .click();
    expect(await page.inputValue('#prompt')).toBe(PROMPT);
    expect(await page.inputValue('#seed')).toBe(String(SEED));
    expect(await page.inputValue('#steps')).toBe(String(STEPS));
    expect(await page.inputValue('#scheduler')).toBe('pndm');
  });

  it('restores parameters from a dropped PNG of this app, and from an AUTOMATIC1111 PNG', async () => {
    // This app's PNG, dropped on the page.
    await page.fill('#prompt', 'something else');
    await page.fill('#seed', '5');
    await page.evaluate((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(bytes)], '01234-a-blue-cross.png', { type: 'image/png' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, Array.from(appPng));
    await page.waitForFunction((p) => (document.querySelector('#prompt') as HTMLTextAreaElement).value === p, PROMPT);
    expect(await page.inputValue('#seed')).toBe(String(SEED));
    expect(await page.textContent('#drop-message')).toBe('Restored the parameters of 01234-a-blue-cross.png.');

    // An AUTOMATIC1111 v1.10 PNG (its infotext, as A1111 writes it), through the file input.
    const a1111 = [
      'a lighthouse at dawn, watercolor',
      'Negative prompt: lowres, blurry',
      'Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Clip skip: 2, Version: v1.10.1',
    ].join('\n');
    const png = await encodePng(new Uint8Array(8 * 8 * 4).fill(255), 8, 8, { text: { parameters: a1111 } });
    await page.setInputFiles('#png-input', { name: 'a1111.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await page.waitForFunction(() => (document.querySelector('#prompt') as HTMLTextAreaElement).value.startsWith('a lighthouse'));
    expect({
      prompt: await page.inputValue('#prompt'),
      negativePrompt: await page.inputValue('#negative-prompt'),
      scheduler: await page.inputValue('#scheduler'),
      steps: await page.inputValue('#steps'),
      guidanceScale: await page.inputValue('#guidance-scale'),
      seed: await page.inputValue('#seed'),
      width: await page.inputValue('#width'),
      height: await page.inputValue('#height'),
    }).toEqual({
      prompt: 'a lighthouse at dawn, watercolor',
      negativePrompt: 'lowres, blurry',
      scheduler: 'dpmpp_2m_karras',
      steps: '30',
      guidanceScale: '6.5',
      seed: '3141592653',
      width: '512',
      height: '768',
    });
    expect(await page.inputValue('#prompt-syntax')).toBe('a1111'); // an A1111 PNG's prompt is in A1111's syntax
    const message = await page.textContent('#drop-message');
    expect(message).toContain('made with the model "v1-5-pruned-emaonly"');
    expect(message).toContain('ignored: Clip skip');

    // A PNG without parameters gets an explanation.
    const plain = await encodePng(new Uint8Array(4).fill(255), 1, 1);
    await page.setInputFiles('#png-input', { name: 'plain.png', mimeType: 'image/png', buffer: Buffer.from(plain) });
    await page.waitForFunction(() => document.querySelector('#drop-message')?.textContent?.startsWith('plain.png:'));
    expect(await page.textContent('#drop-message')).toContain('no generation parameters');
    // What the app writes is what A1111 writes for the same values.
    expect(readPngTextChunks(appPng).parameters).toBe(formatParameters(parseParameters(readPngTextChunks(appPng).parameters)));
  });
});

/** A PNG's RGB bytes, through the tests' independent decoder (src/testing/png-decode.ts). */
function decodeRgb(bytes: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const { width, height, rgba } = decodePng(bytes);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
  return { width, height, rgb };
}

/** Page RGB bytes vs the CLI's float image (1, 3, H, W) in [0, 1], in units of 1/255. */
function maxAbsDiffToFloat(page: { width: number; height: number; rgb: Uint8Array }, image: Float32Array): { max: number; mean: number } {
  const plane = page.width * page.height;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(page.rgb[i * 3 + c] - image[c * plane + i] * 255);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (plane * 3) };
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): { max: number; count: number } {
  let max = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) count++;
    max = Math.max(max, d);
  }
  return { max, count };
}
