/**
 * Installing a version's precache without downloading what did not change (Workbox's revisioned
 * precache, in a few lines). Every precached file carries its content hash, its revision, in the
 * build's manifest; a cached response carries the revision it was stored under as a header. On
 * install, a file whose revision some cache already holds (an older version's, or this version's
 * own from an interrupted install) is copied into the new cache; only new or changed files are
 * fetched, past the HTTP cache. A fetched file must hash to its revision, so a server or CDN that
 * still serves an older copy fails the install instead of caching a mix of versions.
 */
import { CACHE_PREFIX, cacheName, type PrecacheManifest } from './precache.js';

/** The response header that records a cached file's revision. */
export const REVISION_HEADER = 'X-SD-Revision';

/** The part of CacheStorage this needs (the service worker's `caches`; a Map-backed fake in tests). */
export interface PrecacheStorage {
  open(name: string): Promise<Pick<Cache, 'match' | 'put'>>;
  keys(): Promise<string[]>;
}

export interface PrecacheInstall {
  /** Paths fetched from the network (new or changed files). */
  fetched: string[];
  /** Paths copied from a cache that already held their revision. */
  reused: string[];
}

/** The first 16 hex digits of the SHA-256 of `bytes`: a revision as the build computes it (vite-plugin.ts). */
export async function revisionOf(bytes: BufferSource): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fills this version's cache with every file of `manifest`, fetching only those no cache holds at their revision. */
export async function installPrecache(
  storage: PrecacheStorage,
  manifest: PrecacheManifest,
  scope: string,
  fetchFile: (request: Request) => Promise<Response>,
): Promise<PrecacheInstall> {
  const current = cacheName(manifest.version);
  const cache = await storage.open(current);
  const older = (await storage.keys()).filter((name) => name.startsWith(CACHE_PREFIX) && name !== current);
  const sources = [cache, ...(await Promise.all(older.map((name) => storage.open(name))))];
  const result: PrecacheInstall = { fetched: [], reused: [] };

  await Promise.all(
    manifest.urls.map(async (path) => {
      const url = new URL(path, scope).href;
      const revision = manifest.revisions[path];
      for (const source of sources) {
        const cached = await source.match(url);
        if (cached && revision !== undefined && cached.headers.get(REVISION_HEADER) === revision) {
          if (source !== cache) await cache.put(url, cached);
          result.reused.push(path);
          return;
        }
      }
      // 'reload': fresh from the server, not from the HTTP cache (which may hold the previous version).
      const response = await fetchFile(new Request(url, { cache: 'reload' }));
      if (!response.ok) throw new Error(`Precaching ${path} failed: HTTP ${response.status}. The update will be tried again later.`);
      const bytes = await response.arrayBuffer();
      const got = await revisionOf(bytes);
      if (revision !== undefined && got !== revision) {
        throw new Error(
          `Precaching ${path} failed: the server sent revision ${got}, the build has ${revision} (a stale copy in a CDN?). The update will be tried again later.`,
        );
      }
      const headers = new Headers(response.headers);
      // The body is stored decoded: its transfer encoding and length no longer describe it.
      for (const name of ['Content-Encoding', 'Content-Length', 'Transfer-Encoding']) headers.delete(name);
      headers.set(REVISION_HEADER, got);
      await cache.put(url, new Response(bytes, { status: response.status, statusText: response.statusText, headers }));
      result.fetched.push(path);
    }),
  );
  result.fetched.sort();
  result.reused.sort();
  return result;
}
