/**
 * The app's "Stored models" panel in Chromium (fp32 shapes-sd, on wasm: SwiftShader is a software adapter): after the
 * bundled model loads, the panel lists it with its size; Delete (after a confirmation) removes it
 * from the list and from IndexedDB while the loaded model keeps working; a reload downloads and
 * stores it again. No images are generated (SwiftShader is slow): loading alone stores the model.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, REPO_ROOT, type AppServer } from './lib/app-server.js';
import { launchChromium } from './lib/browser.js';

let server: AppServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await startAppServer();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const rows = () => page.locator('#stored-models > li');
const waitForLoaded = () =>
  page.waitForFunction(() => document.querySelector('#model-status')?.textContent?.startsWith('Loaded:') && document.body.dataset.state === 'done', null, {
    timeout: 300_000,
    polling: 250,
  });

/** Entries the weight store keeps in IndexedDB (model, file and chunk records: see src/store/chunk-store.ts). */
function storedEntries(): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('sd-weights');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const count = db.transaction('files', 'readonly').objectStore('files').count();
          count.onsuccess = () => {
            resolve(count.result);
            db.close();
          };
          count.onerror = () => reject(count.error);
        };
      }),
  );
}

/** The panel with a margin of its surroundings, so its edges show. */
async function screenshotPanel(name: string): Promise<void> {
  // Page coordinates (a full-page clip), not the viewport's.
  const box = await page.evaluate(() => {
    const r = document.querySelector('.stored-models')!.getBoundingClientRect();
    return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height };
  });
  const margin = 16;
  await page.screenshot({
    path: join(REPO_ROOT, 'e2e/screenshots', name),
    fullPage: true,
    clip: { x: Math.max(0, box.x - margin), y: Math.max(0, box.y - margin), width: box.width + 2 * margin, height: box.height + 2 * margin },
  });
}

describe("the app's stored models panel", () => {
  it('lists the loaded model, deletes it without breaking the engine, and stores it again on the next load', async () => {
    await page.goto(server.url);
    await waitForLoaded();
    await page.waitForFunction(() => document.querySelectorAll('#stored-models > li').length === 1, null, { timeout: 30_000 });

    // Listed: name, size in the tens of MB, complete and in use, its URL.
    const row = rows().first();
    expect(await row.locator('.stored-name').textContent()).toBe('shapes-sd-fp32');
    expect(await row.locator('.stored-meta').textContent()).toMatch(/^\d+\.\d MiB · Complete, in use$/);
    const bytes = Number(await row.getAttribute('data-bytes'));
    expect(bytes).toBeGreaterThan(20e6);
    expect(bytes).toBeLessThan(60e6);
    expect(await row.locator('.stored-url').textContent()).toBe(`${server.url}models/shapes-sd-fp32/`);
    expect(await page.textContent('#stored-models-summary')).toMatch(/^1 model stored, \d+\.\d MiB\.$/);
    expect(await page.textContent('#storage-estimate')).toMatch(/^The browser reports .+ used by this site, .+ more available\.$/);
    expect(await storedEntries()).toBeGreaterThan(2);

    await screenshotPanel('app-stored-models.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshotPanel('app-stored-models-phone.png');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Declining the confirmation keeps it.
    const remove = page.getByRole('button', { name: 'Delete shapes-sd-fp32 from storage' });
    page.once('dialog', (dialog) => void dialog.dismiss());
    await remove.click();
    expect(await rows().count()).toBe(1);

    // Confirming deletes it from the list and from IndexedDB, and says the loaded model stays loaded.
    const question = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.accept();
      }),
    );
    await remove.click();
    expect(await question).toMatch(/^Delete shapes-sd-fp32 \(\d+\.\d MiB\) from this browser's storage\? It is in use and stays loaded/);
    await page.waitForFunction(() => document.querySelectorAll('#stored-models > li').length === 0, null, { timeout: 30_000 });
    expect(await page.textContent('#stored-models-summary')).toBe('No models stored yet.');
    expect(await page.textContent('#stored-models-message')).toMatch(
      /^Deleted shapes-sd-fp32, \d+\.\d MiB freed\. It stays loaded until you reload the page or switch models\.$/,
    );
    expect(await storedEntries()).toBe(0);

    // The engine keeps its sessions: the tokenizer answers and Load succeeds.
    await page.fill('#prompt', 'a red circle');
    await page.waitForFunction(() => document.querySelector('#prompt-tokens')?.textContent === '3/75');
    await page.click('#load-model');
    await waitForLoaded();
    expect(await page.textContent('#progress-text')).toBe('Model ready.');

    // A fresh page loads the bundled model again: downloaded and stored again.
    await page.reload();
    await waitForLoaded();
    await page.waitForFunction(() => document.querySelectorAll('#stored-models > li').length === 1, null, { timeout: 30_000 });
    expect(await rows().first().getAttribute('data-complete')).toBe('true');
    expect(Number(await rows().first().getAttribute('data-bytes'))).toBe(bytes);
    expect(await storedEntries()).toBeGreaterThan(2);
  });
});
