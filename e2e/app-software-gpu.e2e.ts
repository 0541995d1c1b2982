/**
 * The app on a software WebGPU adapter (Chromium's SwiftShader, as in headless Chromium or on a
 * GPU-blocklisted machine): the bundled small model runs on the CPU (wasm) by default, the page
 * says why, and the visible setting "Use WebGPU even on a software GPU" switches it to WebGPU
 * (kept across a reload). Issue 12 item 8; the decision itself is src/engine/runtime/backend-choice.ts.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from './lib/app-server.js';
import { launchChromium } from './lib/browser.js';

let server: AppServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startAppServer(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const waitForLoaded = (page: Page, on: string) =>
  page.waitForFunction(
    (text) => document.querySelector('#model-status')?.textContent?.startsWith(`Loaded: shapes-sd-fp32 on ${text}`) && document.body.dataset.state === 'done',
    on,
    { timeout: 300_000, polling: 250 },
  );

describe('the app on a software WebGPU adapter (SwiftShader)', () => {
  it('runs the small demo on the CPU (wasm) and says why; the setting forces WebGPU, and is kept', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.url);
    await waitForLoaded(page, 'the CPU (wasm)');
    expect(await page.textContent('#model-status')).toBe(
      'Loaded: shapes-sd-fp32 on the CPU (wasm), fp32. WebGPU here is a software renderer (no usable GPU), much slower than the CPU (wasm) for this small model. "Use WebGPU even on a software GPU" in the model settings forces it.',
    );
    expect(await page.textContent('#capabilities')).toContain('software renderer');
    expect(await page.isVisible('#force-webgpu')).toBe(true);
    expect(await page.isChecked('#force-webgpu')).toBe(false);

    await page.check('#force-webgpu');
    await waitForLoaded(page, 'WebGPU');
    expect(await page.textContent('#model-status')).toBe('Loaded: shapes-sd-fp32 on WebGPU, fp32.');
    await page.reload();
    await waitForLoaded(page, 'WebGPU');
    expect(await page.isChecked('#force-webgpu')).toBe(true);
    await page.close();
  });
});
