/**
 * AUTOMATIC1111 prompts in the app (Chromium, WebGPU on SwiftShader, fp32 shapes-sd): the syntax
 * setting defaults to a1111; the token counter shows A1111's N/75, N/150 and lists the chunks so
 * the user sees where one breaks (screenshot e2e/screenshots/app-prompt-chunks.png); the plain
 * setting still cuts at 75 and warns; and a pasted weighted prompt longer than 75 tokens against a
 * short negative prompt (2 chunks vs 1: the UNet runs separately for each) gives the CLI's picture
 * (`generate --prompt-syntax a1111`, wasm) within 3/255, with the syntax recorded in the PNG.
 * Few steps: SwiftShader takes 10-20 s per UNet call.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../src/core/parameters.js';
import { readPngTextChunks } from '../src/core/png.js';
import { decodePng } from '../src/testing/png-decode.js';
import { startAppServer, REPO_ROOT, type AppServer } from './lib/app-server.js';
import { launchChromium } from './lib/browser.js';
import { cliReference } from './lib/cli-reference.js';

/** 86 tokens, weighted: chunk 1 is full after 75 and the comma backtrack moves the last 3 (after the comma at 72) to chunk 2. A1111 counts 75 + 14 = 89/150. */
const PROMPT = `${Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? '(a red circle:1.2) on a [blue] background' : 'a red circle on a blue background')).join(', ')}, (a green square:1.3) on the left`;
const NEGATIVE = 'a yellow triangle';
const SEED = 11;
const STEPS = 2;
const TOLERANCE = 3; // of 255: WebGPU (SwiftShader, fp32) vs wasm (fp32) differ in the last bits

let server: AppServer;
let browser: Browser;
let page: Page;
let reference: Float32Array;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-app-prompts-'));
  ({ image: reference } = await cliReference(dir, [
    '--prompt-syntax',
    'a1111',
    '--prompt',
    PROMPT,
    '--negative-prompt',
    NEGATIVE,
    '--seed',
    String(SEED),
    '--steps',
    String(STEPS),
  ]));
  server = await startAppServer();
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const counter = () => page.textContent('#prompt-tokens');

describe('A1111 prompts in the app', () => {
  it('counts N/75, N/150 and lists where the chunks break; plain cuts at 75', async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelector('#model-status')?.textContent?.startsWith('Loaded:'), null, { timeout: 300_000 });
    expect(await page.inputValue('#prompt-syntax')).toBe('a1111');

    await page.fill('#prompt', 'a (red:1.3) circle');
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.textContent === '3/75');
    expect(await page.locator('.prompt-chunks').first().isHidden()).toBe(true);

    await page.fill('#prompt', PROMPT);
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.textContent === '89/150');
    const chunks = page.locator('.prompt-chunks').first().locator('li');
    expect(await chunks.count()).toBe(2);
    expect(await chunks.nth(0).locator('.chunk-count').textContent()).toBe('1 · 72/75');
    expect(await chunks.nth(1).locator('.chunk-count').textContent()).toBe('2 · 14/75');
    expect(await chunks.nth(1).locator('.chunk-text').textContent()).toBe('a red circle on a blue background, a green square on the left');
    expect(await page.getAttribute('#prompt-tokens', 'aria-label')).toBe('89 tokens in 2 chunks of 75, each encoded on its own and joined (AUTOMATIC1111).');
    await page.locator('#prompt').evaluate((el) => el.closest('.field')!.scrollIntoView());
    await page.locator('#prompt').evaluate((el) => el.closest('.field')!.setAttribute('data-shot', ''));
    await page.locator('[data-shot]').screenshot({ path: join(REPO_ROOT, 'e2e/screenshots/app-prompt-chunks.png') });

    await page.selectOption('#prompt-syntax', 'plain');
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.getAttribute('data-level') === 'over');
    expect(await counter()).toBe('132/75');
    expect(await page.locator('.prompt-chunks').first().isHidden()).toBe(true);
    await page.selectOption('#prompt-syntax', 'a1111');
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.textContent === '89/150');
  });

  it("a pasted weighted long prompt gives the CLI's picture, and the PNG records the syntax", async () => {
    await page.fill('#negative-prompt', NEGATIVE);
    await page.selectOption('#scheduler', 'pndm');
    await page.fill('#steps', String(STEPS));
    await page.fill('#guidance-scale', '7.5');
    await page.fill('#seed', String(SEED));
    await page.fill('#batch-count', '1');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 540_000, polling: 250 });

    const bytes = await page.evaluate(async () => {
      const link = document.querySelector<HTMLAnchorElement>('#gallery > li a.download')!;
      return Array.from(new Uint8Array(await (await fetch(link.href)).arrayBuffer()));
    });
    const png = Uint8Array.from(bytes);
    expect(parseParameters(readPngTextChunks(png).parameters)).toMatchObject({
      prompt: PROMPT,
      negativePrompt: NEGATIVE,
      seed: SEED,
      steps: STEPS,
      promptSyntax: 'a1111',
    });
    const { width, height, rgba } = decodePng(png);
    const plane = width * height;
    let max = 0;
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[i * 4 + c] - reference[c * plane + i] * 255));
    console.log(`A1111 long weighted prompt, seed ${SEED}, ${STEPS} steps: max |page PNG - CLI float x 255| = ${max.toFixed(3)}/255`);
    expect(max).toBeLessThanOrEqual(TOLERANCE);
  });
});
