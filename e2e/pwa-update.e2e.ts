/**
 * PWA updates download only what changed (src/pwa/precache-install.ts), in Chromium against the
 * production build under `vite preview` (a hard-linked copy, so a new release can be published
 * without touching the shared build), with the preview server's own request log as the witness:
 * a first visit precaches every file; a release that changes only index.html makes the next
 * install fetch sw.js and index.html and nothing else (not the 27 MB onnxruntime .wasm), and the
 * new version's cache still holds every file at its revision.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrecacheManifest } from '../src/pwa/precache.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './lib/browser.js';
import { productionBuild, startPreview, type ProductionServer } from './lib/production-server.js';

const MANIFEST_LINE = /^self\.__SD_PRECACHE_MANIFEST__ = (\{.*?\});\n/;

let servedDir: string;
let profileDir: string;
let server: ProductionServer;
let context: BrowserContext;
let page: Page;
/** Every path the preview server was asked for. */
const requests: string[] = [];

function readManifest(): PrecacheManifest {
  return JSON.parse(MANIFEST_LINE.exec(readFileSync(join(servedDir, 'sw.js'), 'utf8'))![1]) as PrecacheManifest;
}

/** Replaces a served file with a new one (never a write through the hard link into the shared build). */
function publish(path: string, content: string): void {
  rmSync(join(servedDir, path));
  writeFileSync(join(servedDir, path), content);
}

/** The precache's files and their X-SD-Revision headers in the cache `name`, as the page sees them. */
function cachedRevisions(name: string): Promise<Record<string, string | null>> {
  return page.evaluate(async (cacheName) => {
    const cache = await caches.open(cacheName);
    const entries = await Promise.all(
      (await cache.keys()).map(async (request) => [new URL(request.url).pathname.slice(1), (await cache.match(request))!.headers.get('X-SD-Revision')]),
    );
    return Object.fromEntries(entries) as Record<string, string | null>;
  }, name);
}

/** Waits until the registration's waiting worker reports `version` (asked over a MessageChannel). */
async function waitForWaitingVersion(version: string): Promise<void> {
  await page.waitForFunction(
    async (wanted) => {
      const waiting = (await navigator.serviceWorker.getRegistration())?.waiting;
      if (!waiting) return false;
      const channel = new MessageChannel();
      const answer = new Promise<string | null>((resolve) => {
        channel.port1.onmessage = (event) => resolve((event.data as { version: string }).version);
        setTimeout(() => resolve(null), 2000);
      });
      waiting.postMessage({ type: 'version' }, [channel.port2]);
      return (await answer) === wanted;
    },
    version,
    { timeout: 300_000, polling: 500 },
  );
}

const bytes = (paths: string[]) => paths.reduce((sum, path) => sum + statSync(join(servedDir, path)).size, 0);

beforeAll(async () => {
  const built = await productionBuild();
  servedDir = mkdtempSync(join(tmpdir(), 'sd-pwa-update-served-'));
  execFileSync('cp', ['-al', `${built}/.`, servedDir]);
  server = await startPreview(servedDir, 0, (url) => requests.push(url.split('?')[0]));
  profileDir = mkdtempSync(join(tmpdir(), 'sd-pwa-update-profile-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  page = context.pages()[0] ?? (await context.newPage());
}, 600_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  for (const dir of [servedDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PWA update (production build)', () => {
  it('a release that changes only index.html fetches only sw.js and index.html; the new cache holds every file at its revision', async () => {
    const first = readManifest();
    await page.goto(server.url);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 300_000 });
    // (The page may see the install's cache writes a moment after the worker took control: poll, as below.)
    await expect.poll(() => cachedRevisions(`sd-web-precache-${first.version}`), { timeout: 30_000, interval: 100 }).toEqual(first.revisions);

    // The next release: index.html changed, everything else (the 27 MB .wasm included) as it was.
    requests.length = 0;
    const html = readFileSync(join(servedDir, 'index.html'), 'utf8').replace('</head>', '<meta name="x-release" content="2" />\n</head>');
    publish('index.html', html);
    const next: PrecacheManifest = {
      ...first,
      version: `${first.version}-2`,
      revisions: { ...first.revisions, 'index.html': createHash('sha256').update(html).digest('hex').slice(0, 16) },
    };
    publish('sw.js', readFileSync(join(servedDir, 'sw.js'), 'utf8').replace(MANIFEST_LINE, `self.__SD_PRECACHE_MANIFEST__ = ${JSON.stringify(next)};\n`));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await waitForWaitingVersion(next.version);

    // (Chromium may report the worker as waiting a moment before the page sees all of its cache writes
    // (seen: 9 of 10 entries, then 10), and before the preview server's log has heard the install's
    // requests: wait until the new cache holds every file at its revision, and for the log.)
    await expect.poll(() => cachedRevisions(`sd-web-precache-${next.version}`), { timeout: 30_000, interval: 100 }).toEqual(next.revisions);
    await expect.poll(() => requests.includes('/index.html'), { timeout: 30_000, interval: 100 }).toBe(true);
    const precached = new Set(next.urls.map((path) => `/${path}`));
    // What the update guarantees: of the precached files, only the changed one is downloaded (the browser
    // may ask for it more than once; what matters is that nothing else, the .wasm above all, is fetched).
    const fetched = [...new Set(requests.filter((url) => precached.has(url)))];
    expect(fetched, `server requests: ${requests.join(' ')}`).toEqual(['/index.html']);
    expect(requests).toContain('/sw.js');
    const wasm = 'ort/ort-wasm-simd-threaded.asyncify.wasm';
    expect(next.urls).toContain(wasm);
    console.log(
      `update: fetched ${fetched.join(', ')} (${bytes(fetched.map((url) => url.slice(1)))} bytes) of ${next.urls.length} precached files (${bytes(next.urls)} bytes; ${wasm} ${bytes([wasm])} bytes copied from the old cache)`,
    );
  });
});
