/**
 * Issue 25, GPU device lost, in Chromium on SwiftShader: `GPUDevice.destroy()` on onnxruntime-web's
 * device (`ort.env.webgpu.device`) in the middle of a generation. The running job fails with
 * GpuDeviceLostError and its clear message; the next job, in the same page (no reload), makes new
 * sessions on a fresh device from the weights already stored (no download) and gives the same image.
 * The engine runs in the page (e2e/pages/engine-page.ts); the tiny fp32 fixture, 16x16 latents, 2 steps.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAppServer, type AppServer } from './lib/app-server.js';
import { launchChromium } from './lib/browser.js';
import type { JobReply } from './pages/engine-page.js';

let server: AppServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startAppServer({ '/tiny-sd-fp32/': 'fixtures/tiny-sd-fp32' });
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${server.url}e2e/pages/engine.html`);
  await page.waitForFunction(() => window.engineTest !== undefined, null, { timeout: 120_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('a lost GPU device fails the running job with GpuDeviceLostError; the next job makes new sessions from the stored weights', async () => {
  const spec = { id: 'tiny', urls: { fp32: `${server.url}tiny-sd-fp32/` } };
  const request = { prompt: 'a red circle', seed: 3, numInferenceSteps: 2, scheduler: 'ddim' as const, width: 128, height: 128 };
  const job = (destroyAtStep?: number): Promise<JobReply> =>
    page.evaluate(([s, r, d]) => window.engineTest.job(s, r, d), [spec, request, destroyAtStep] as const);

  const first = await job();
  expect(first.error).toBeUndefined();
  expect(first.fromCache).toBe(false); // downloaded into the store

  const lost = await job(1);
  expect(lost).toMatchObject({
    ok: false,
    error: {
      name: 'GpuDeviceLostError',
      message: expect.stringMatching(
        /^The GPU device was lost \(destroyed.*Try again: the next request makes new GPU sessions from the stored weights, without downloading them again\.$/,
      ),
    },
  });
  expect(lost.stages.filter((s) => s === 'denoise').length).toBeLessThan(2); // stopped during the job, not after it

  const again = await job();
  expect(again.error).toBeUndefined();
  expect(again.stages).toContain('load'); // new sessions
  expect(again.stages).not.toContain('download');
  expect(again.fromCache).toBe(true);
  let maxDiff = 0;
  for (let i = 0; i < first.rgba!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(first.rgba![i] - again.rgba![i]));
  console.log(`after the device loss: same request, max difference ${maxDiff} levels`);
  expect(maxDiff).toBeLessThanOrEqual(1);
  expect(pageErrors).toEqual([]);
});
