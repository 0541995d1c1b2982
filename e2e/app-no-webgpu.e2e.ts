/**
 * The app in a Chromium without WebGPU: the banner explains in plain words what is missing and what
 * to do, the bundled demo still runs (and generates) on the CPU (wasm), and Stable Diffusion v1.4 is refused there
 * with a clear message before anything is downloaded.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from './lib/app-server.js';
import { launchChromium } from './lib/browser.js';

let server: AppServer;
let browser: Browser;
let page: Page;
const requested: string[] = [];

beforeAll(async () => {
  server = await startAppServer();
  browser = await launchChromium({ webgpu: false });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.on('request', (request) => requested.push(request.url()));
  await context.addInitScript(() => {
    document.addEventListener('sd-app:model-loaded', (event) => ((window as unknown as { __loaded: unknown }).__loaded = (event as CustomEvent).detail));
  });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the app without WebGPU', () => {
  it('explains what is missing, runs the demo on wasm, and refuses Stable Diffusion v1.4 there', async () => {
    await page.goto(server.url);
    const banner = page.locator('#capabilities');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.getAttribute('data-backend')).toBe('wasm');
    const text = await banner.textContent();
    console.log(`No-WebGPU banner: ${text}`);
    // Chromium with WebGPU disabled may keep navigator.gpu but give no adapter: either explanation will do.
    expect(text).toMatch(/This browser has no WebGPU|WebGPU is present but no GPU adapter is available/);
    expect(text).toMatch(/Chrome or Edge|chrome:\/\/gpu/);
    expect(text).toContain('Backend: CPU (wasm)');

    // The bundled demo is small enough for the CPU.
    await page.waitForFunction(() => (window as unknown as { __loaded?: unknown }).__loaded !== undefined, null, { timeout: 300_000 });
    expect(await page.evaluate(() => (window as unknown as { __loaded: unknown }).__loaded)).toEqual({ id: 'shapes-sd', backend: 'wasm', precision: 'fp32' });
    expect(await page.textContent('#model-status')).toBe('Loaded: shapes-sd-fp32 on the CPU (wasm), fp32.');
    await page.getByRole('button', { name: 'a blue cross on a yellow background', exact: true }).click();
    await page.fill('#steps', '20');
    await page.fill('#seed', '1234');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done' && document.querySelectorAll('#gallery > li').length === 1, null, {
      timeout: 300_000,
    });
    expect(await page.locator('#gallery .caption').allTextContents()).toEqual(['Seed 1234 · PNDM · 20 steps']);

    // Stable Diffusion v1.4 is refused up front, with what to do instead.
    await page.selectOption('#model', 'sd-v1-4');
    const advice = page.locator('#model-advice');
    await advice.waitFor({ state: 'visible' });
    expect(await advice.getAttribute('data-level')).toBe('refuse');
    expect(await advice.textContent()).toContain('too big for the CPU (wasm) backend');
    await page.click('#generate');
    expect(await advice.textContent()).toContain('Open this page in a browser with WebGPU');
    expect(await page.textContent('#form-errors')).toBe(
      'Stable Diffusion v1.4 (your folder, by URL) cannot run in this browser: see the note under the model picker.',
    );
    expect(await page.textContent('#model-status')).toBe('Loaded: shapes-sd-fp32 on the CPU (wasm), fp32.');
    expect(await page.evaluate(() => document.body.dataset.state)).not.toBe('loading');
    expect(requested.some((url) => url.includes('huggingface.co'))).toBe(false);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: new URL('./screenshots/app-no-webgpu.png', import.meta.url).pathname, fullPage: true });
  });
});
