/**
 * The app as an installable, offline PWA, in Chromium against the production build served by
 * `vite preview` (a hard-linked copy of it, so the update test can publish a new sw.js without
 * touching the shared build). A persistent browser profile: Chromium reports an incognito context
 * as not installable, and the service worker, its caches and IndexedDB must outlive reloads.
 *
 * In order: first visit (install, precache, model into IndexedDB) → installability (CDP) → offline
 * reload and generation (server stopped and context offline) → update while generating.
 * The app is driven through its documented contract: ids of the form fields, <body data-state>,
 * and the `sd-app:*` events (src/app/app-events.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrecacheManifest } from '../src/pwa/precache.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './lib/browser.js';
import { productionBuild, startPreview, type ProductionServer } from './lib/production-server.js';

let servedDir: string;
let profileDir: string;
let server: ProductionServer | null = null;
let port: number;
let context: BrowserContext;
let page: Page;
let manifest: PrecacheManifest;
const pageErrors: string[] = [];

function readPrecacheManifest(dir: string): PrecacheManifest {
  const match = /^self\.__SD_PRECACHE_MANIFEST__ = (\{.*?\});\n/.exec(readFileSync(join(dir, 'sw.js'), 'utf8'));
  if (!match) throw new Error('sw.js does not start with the precache manifest');
  return JSON.parse(match[1]) as PrecacheManifest;
}

/** Waits for the app's <body data-state> to be `state`; fails early with the app's message on 'error'. */
async function waitForAppState(state: string, timeout = 300_000): Promise<void> {
  const handle = await page.waitForFunction((wanted) => ['error', wanted].includes(document.body.dataset.state ?? '') && document.body.dataset.state, state, {
    timeout,
  });
  const reached = await handle.jsonValue();
  if (reached === 'error')
    throw new Error(`The app failed: ${await page.locator('#progress-text').textContent()} ${await page.locator('#form-errors').textContent()}`);
}

/** Fills the form for a quick generation and submits it; resolves with the sd-app:image detail. */
async function generate(values: { steps: number; seed: number }): Promise<{ seed: number; width: number; height: number }> {
  await page.selectOption('#scheduler', 'ddim');
  await page.fill('#steps', String(values.steps));
  await page.fill('#guidance-scale', '1');
  await page.fill('#seed', String(values.seed));
  const image = page.evaluate(
    () =>
      new Promise<{ seed: number; width: number; height: number }>((resolve) =>
        document.addEventListener('sd-app:image', (event) => resolve((event as CustomEvent).detail), { once: true }),
      ),
  );
  await page.click('#generate');
  return image;
}

/** The version of the service worker that controls the page (asked over a MessageChannel). */
function controllerVersion(): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve((event.data as { version: string }).version);
        navigator.serviceWorker.controller!.postMessage({ type: 'version' }, [channel.port2]);
      }),
  );
}

beforeAll(async () => {
  const built = await productionBuild();
  servedDir = mkdtempSync(join(tmpdir(), 'sd-pwa-served-'));
  execFileSync('cp', ['-al', `${built}/.`, servedDir]);
  manifest = readPrecacheManifest(servedDir);
  server = await startPreview(servedDir);
  port = server.port;
  profileDir = mkdtempSync(join(tmpdir(), 'sd-pwa-profile-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(String(error)));
}, 600_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  for (const dir of [servedDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the app as a PWA (production build)', () => {
  it('first visit: the service worker precaches the app shell and ORT runtime (not the weights) and controls the page; the app stores the demo model', async () => {
    await page.goto(server!.url);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 300_000 });
    const caches = await page.evaluate(async () => {
      const names = await self.caches.keys();
      const entries = await Promise.all(names.map(async (name) => (await (await self.caches.open(name)).keys()).map((request) => request.url)));
      return { names, entries, isolated: crossOriginIsolated };
    });
    expect(caches.names).toEqual([`sd-web-precache-${manifest.version}`]);
    expect(caches.entries[0].sort()).toEqual(manifest.urls.map((path) => new URL(path, server!.url).href).sort());
    expect(manifest.urls).toEqual(
      expect.arrayContaining([
        'index.html',
        'manifest.webmanifest',
        'icons/icon-192.png',
        'ort/ort-wasm-simd-threaded.asyncify.wasm',
        'ort/ort-wasm-simd-threaded.asyncify.mjs',
      ]),
    );
    expect(manifest.urls.some((path) => path.startsWith('engine.worker-'))).toBe(true);
    expect(manifest.urls.filter((path) => /models\/|\.onnx$|\.pb$/.test(path))).toEqual([]);
    expect(caches.isolated).toBe(true);

    // The app loads the bundled demo on start: the weight store fetches it into IndexedDB.
    await waitForAppState('done');
    const databases = await page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name));
    expect(databases).toContain('sd-weights');
  });

  it("is installable: the manifest and service worker pass Chromium's checks (Page.getInstallabilityErrors)", async () => {
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
    expect(installabilityErrors).toEqual([]);
    const app = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[]; data: string };
    expect(app.url).toBe(`${server!.url}manifest.webmanifest`);
    expect(app.errors).toEqual([]);
    expect(JSON.parse(app.data)).toMatchObject({ short_name: 'sd-web', display: 'standalone', start_url: './' });
    await cdp.detach();
  });

  it('offline: with the server gone and the browser offline, the app reloads from the service worker and generates from the weights in IndexedDB', async () => {
    await server!.close();
    server = null;
    await context.setOffline(true);
    const failed: string[] = [];
    const onFailed = (request: { url(): string }) => failed.push(request.url());
    page.on('requestfailed', onFailed);

    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    await waitForAppState('done');
    const image = await generate({ steps: 2, seed: 5 });
    expect(image).toMatchObject({ seed: 5, width: 128, height: 128 });
    await waitForAppState('done');
    page.off('requestfailed', onFailed);
    expect(failed.filter((url) => !url.endsWith('/favicon.ico'))).toEqual([]);
  });

  it('update: a new version installs and waits while a generation runs; the page offers a reload only when idle; Reload switches to it', async () => {
    await context.setOffline(false);
    server = await startPreview(servedDir, port);
    // Publish a new version: a new sw.js (a new file, not a write through the hard link into the shared build).
    const next = `${manifest.version}-next`;
    const sw = join(servedDir, 'sw.js');
    const code = readFileSync(sw, 'utf8').replace(`"version":"${manifest.version}"`, `"version":"${next}"`);
    rmSync(sw);
    writeFileSync(sw, code);

    // A generation is running when the update arrives.
    const image = generate({ steps: 3, seed: 9 });
    await page.waitForFunction(() => document.body.dataset.state === 'generating');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration())?.waiting != null, undefined, { timeout: 300_000, polling: 250 });
    const whileBusy = await page.evaluate(() => ({
      state: document.body.dataset.state,
      prompt: document.querySelector('sd-update-prompt')?.checkVisibility() ?? false,
    }));
    expect(whileBusy).toEqual({ state: 'generating', prompt: false });
    expect(await controllerVersion()).toBe(manifest.version);

    // The running generation finishes on the old version; then the page offers the reload.
    expect(await image).toMatchObject({ seed: 9, width: 128, height: 128 });
    await waitForAppState('done');
    const reload = page.locator('sd-update-prompt [part~="reload-button"]');
    await reload.waitFor({ state: 'visible', timeout: 30_000 });
    await Promise.all([page.waitForEvent('load'), reload.click()]);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    expect(await controllerVersion()).toBe(next);
    expect(await page.evaluate(() => self.caches.keys())).toEqual([`sd-web-precache-${next}`]);
    expect(await page.locator('sd-update-prompt').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
