/**
 * The app's live previews with the tiny decoder (issue 22): the bundled shapes-sd ships taesd_decoder/ (a tiny
 * decoder distilled from its VAE, tools/train_tiny_decoder.py), so on the default Preview setting the sampler
 * steps draw full-size pictures (kind 'tiny', 128x128) from the first step on, as often as 10% of the loop's time allows; "Cheap colours" goes back to the
 * 16x16 latent map; "Final decode: Tiny decoder" makes the picture with it and says so in the PNG's parameters.
 * Runs on the CPU (wasm), the app's default on SwiftShader. Screenshot mid-generation:
 * e2e/screenshots/app-tiny-preview.png.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngTextChunks } from '../src/core/png.js';
import { startAppServer, REPO_ROOT, type AppServer } from './lib/app-server.js';
import { launchChromium } from './lib/browser.js';

interface PreviewEvent {
  step: number;
  totalSteps: number;
  kind: string;
}

let server: AppServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startAppServer(), launchChromium()]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    const previews: unknown[] = [];
    (window as unknown as { __previews: unknown[] }).__previews = previews;
    document.addEventListener('sd-app:preview', (event) => previews.push((event as CustomEvent).detail));
  });
  page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(
    () => document.querySelector('#model-status')?.textContent?.startsWith('Loaded: shapes-sd-fp32') && document.body.dataset.state === 'done',
    null,
    { timeout: 300_000, polling: 250 },
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const previews = (): Promise<PreviewEvent[]> => page.evaluate(() => (window as unknown as { __previews: PreviewEvent[] }).__previews.splice(0));
const waitForDone = () => page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 300_000, polling: 250 });

async function generate(steps: number, seed: number): Promise<void> {
  await page.fill('#prompt', 'a blue cross on a yellow background');
  await page.selectOption('#scheduler', 'pndm');
  await page.fill('#steps', String(steps));
  await page.fill('#seed', String(seed));
  await page.fill('#batch-count', '1');
  await previews();
  await page.click('#generate');
}

describe('tiny-decoder previews in the app (shapes-sd with taesd_decoder/)', () => {
  it('draws full-size tiny-decoder pictures from the first step', { timeout: 400_000 }, async () => {
    await generate(20, 3);
    // mid-generation: a tiny-decoder preview on the stage
    await page.waitForFunction(
      () => {
        const canvas = document.querySelector<HTMLCanvasElement>('#preview');
        return canvas?.dataset.kind === 'tiny' && Number(canvas.dataset.step) >= 6;
      },
      null,
      { timeout: 300_000, polling: 50 },
    );
    await page.screenshot({ path: join(REPO_ROOT, 'e2e/screenshots/app-tiny-preview.png') });
    expect(await page.textContent('#stage-caption')).toMatch(/Preview, step \d+ of 20 \(tiny decoder\)/);
    await waitForDone();
    // From the first step, then the steps the budget allows (10% of the loop's time, preview-choice.ts).
    const seen = await previews();
    console.log(`tiny previews at steps ${seen.map((p) => p.step).join(', ')} of 20`);
    expect(seen[0]).toMatchObject({ step: 1, totalSteps: 20, kind: 'tiny' });
    expect(seen.every((p, i) => p.kind === 'tiny' && (i === 0 || p.step > seen[i - 1].step))).toBe(true);
    expect(await page.getAttribute('#preview', 'data-kind')).toBe('final');
  });

  it('"Cheap colours" previews the latents; "Final decode: Tiny decoder" decodes with it', { timeout: 400_000 }, async () => {
    await page.evaluate(() => void (document.querySelector('#preview-kind')!.closest('details')!.open = true)); // the setting lives in a <details>
    await page.selectOption('#preview-kind', 'latent');
    await generate(3, 4);
    await waitForDone();
    expect((await previews()).map((p) => p.kind)).toEqual(['latent', 'latent', 'latent']);

    await page.selectOption('#preview-kind', 'tiny');
    await page.selectOption('#decoder', 'tiny');
    await generate(3, 5);
    await waitForDone();
    const tiny = await previews();
    expect(tiny[0]).toMatchObject({ step: 1, kind: 'tiny' });
    expect(tiny.every((p) => p.kind === 'tiny')).toBe(true);
    // the newest gallery entry's PNG carries A1111's key for it
    const bytes = await page.evaluate(async () => {
      const link = document.querySelector<HTMLAnchorElement>('#gallery > li:first-child a.download')!;
      return Array.from(new Uint8Array(await (await fetch(link.href)).arrayBuffer()));
    });
    expect(readPngTextChunks(new Uint8Array(bytes)).parameters).toMatch(/Seed: 5, .*VAE Decoder: TAESD/);
  });
});
