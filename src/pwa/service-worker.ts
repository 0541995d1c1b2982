/**
 * The app's service worker, built to `sw.js` at the app root (src/pwa/vite-plugin.ts writes this
 * build's precache manifest into it). It makes the app start offline and keeps updates safe:
 *
 *   install:  precache this version's app shell + ORT runtime in its own cache, copying every file
 *             whose revision (content hash) an older version's cache holds and fetching only new or
 *             changed files (precache-install.ts). No skipWaiting(): a new version waits, so a page
 *             that is generating keeps the files it started with.
 *   message:  {type: 'skip-waiting'} from the page (sent when it is idle and the user chose Reload).
 *   activate: delete other versions' caches, take control of open pages.
 *   fetch:    see sw-routes.ts (cache-first shell, weights untouched, COOP/COEP on documents/workers).
 *
 * Bundled into one classic script (vite-plugin.ts).
 */
import { installPrecache } from './precache-install.js';
import { cacheName, CACHE_PREFIX, type PrecacheManifest } from './precache.js';
import { routeFor, withIsolationHeaders, type Route } from './sw-routes.js';

const sw = self as unknown as ServiceWorkerGlobalScope & { __SD_PRECACHE_MANIFEST__?: PrecacheManifest };
/** Set by the build; an unbuilt worker (never registered in dev) precaches nothing. */
const manifest: PrecacheManifest = sw.__SD_PRECACHE_MANIFEST__ ?? { version: 'dev', urls: [], revisions: {} };
const currentCache = cacheName(manifest.version);
const precached = new Set(manifest.urls.map((path) => new URL(path, sw.registration.scope).href));

sw.addEventListener('install', (event) => {
  event.waitUntil(installPrecache(caches, manifest, sw.registration.scope, (request) => fetch(request)));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(CACHE_PREFIX) && key !== currentCache) await caches.delete(key);
      }
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: string } | null;
  if (data?.type === 'skip-waiting') void sw.skipWaiting();
  if (data?.type === 'version') event.ports[0]?.postMessage({ version: manifest.version });
});

sw.addEventListener('fetch', (event) => {
  const route = routeFor(event.request, sw.registration.scope, precached);
  if (route.kind === 'passthrough') return;
  event.respondWith(respond(event.request, route));
});

async function respond(request: Request, route: Exclude<Route, { kind: 'passthrough' }>): Promise<Response> {
  if (route.kind === 'precache') {
    const cache = await caches.open(currentCache);
    const cached = await cache.match(route.key, { ignoreSearch: true });
    if (cached) return route.isolate ? withIsolationHeaders(cached) : cached;
  }
  const response = await fetch(request);
  return route.isolate ? withIsolationHeaders(response) : response;
}
