/**
 * installPrecache against an in-memory CacheStorage and a counting fetch: an update copies what did
 * not change from the older version's cache and fetches only changed or new files; fetched bytes
 * must match their revision. Revisions are the build's (precacheManifest, vite-plugin.ts), so the
 * test also pins that the service worker and the build hash alike.
 */
import { describe, expect, it } from 'vitest';
import { installPrecache, REVISION_HEADER, revisionOf, type PrecacheStorage } from './precache-install.js';
import { CACHE_PREFIX } from './precache.js';
import { precacheManifest } from './vite-plugin.js';

const SCOPE = 'https://app.example/sd/';

/** CacheStorage over Maps (url → stored bytes + headers), enough for match/put/keys. */
class MemoryCaches implements PrecacheStorage {
  readonly caches = new Map<string, Map<string, { body: ArrayBuffer; headers: [string, string][] }>>();
  async open(name: string) {
    let entries = this.caches.get(name);
    if (!entries) this.caches.set(name, (entries = new Map()));
    const store = entries;
    return {
      async match(request: RequestInfo | URL) {
        const hit = store.get(String(request instanceof Request ? request.url : request));
        return hit ? new Response(hit.body.slice(0), { headers: hit.headers }) : undefined;
      },
      async put(request: RequestInfo | URL, response: Response) {
        store.set(String(request instanceof Request ? request.url : request), { body: await response.arrayBuffer(), headers: [...response.headers] });
      },
    } as Pick<Cache, 'match' | 'put'>;
  }
  async keys() {
    return [...this.caches.keys()];
  }
}

/** A server holding `files` (path → text) that records what was fetched. */
function server(files: Map<string, string>) {
  const fetched: string[] = [];
  const fetchFile = async (request: Request) => {
    const path = request.url.slice(SCOPE.length);
    fetched.push(path);
    expect(request.cache).toBe('reload');
    const body = files.get(path);
    return body === undefined
      ? new Response('missing', { status: 404 })
      : new Response(body, { headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' } });
  };
  return { fetched, fetchFile };
}

const v1 = new Map([
  ['index.html', '<html>v1</html>'],
  ['assets/main-1.js', 'main()'],
  ['ort/ort-wasm-simd-threaded.asyncify.wasm', 'the 27 MB runtime'],
]);

describe('installPrecache', () => {
  it('computes revisions as the build does (SHA-256, 16 hex digits)', async () => {
    const manifest = precacheManifest(v1);
    for (const [path, text] of v1) expect(await revisionOf(new TextEncoder().encode(text))).toBe(manifest.revisions[path]);
  });

  it('first install fetches every file and stores it with its revision', async () => {
    const storage = new MemoryCaches();
    const manifest = precacheManifest(v1);
    const { fetched, fetchFile } = server(v1);
    expect(await installPrecache(storage, manifest, SCOPE, fetchFile)).toEqual({ fetched: [...v1.keys()].sort(), reused: [] });
    expect(fetched.sort()).toEqual([...v1.keys()].sort());
    const cache = await storage.open(CACHE_PREFIX + manifest.version);
    const wasm = await cache.match(`${SCOPE}ort/ort-wasm-simd-threaded.asyncify.wasm`);
    expect(await wasm!.text()).toBe('the 27 MB runtime');
    expect(wasm!.headers.get(REVISION_HEADER)).toBe(manifest.revisions['ort/ort-wasm-simd-threaded.asyncify.wasm']);
    expect(wasm!.headers.get('Content-Type')).toBe('text/plain');
    // Stored decoded: the server's Content-Encoding no longer applies.
    expect(wasm!.headers.get('Content-Encoding')).toBeNull();
  });

  it('an update fetches only the changed and new files and copies the rest from the older cache', async () => {
    const storage = new MemoryCaches();
    await installPrecache(storage, precacheManifest(v1), SCOPE, server(v1).fetchFile);
    const v2 = new Map([...v1, ['index.html', '<html>v2</html>'], ['assets/extra-2.js', 'extra()']]);
    const manifest = precacheManifest(v2);
    const { fetched, fetchFile } = server(v2);
    expect(await installPrecache(storage, manifest, SCOPE, fetchFile)).toEqual({
      fetched: ['assets/extra-2.js', 'index.html'],
      reused: ['assets/main-1.js', 'ort/ort-wasm-simd-threaded.asyncify.wasm'],
    });
    expect(fetched.sort()).toEqual(['assets/extra-2.js', 'index.html']);
    const cache = await storage.open(CACHE_PREFIX + manifest.version);
    for (const [path, text] of v2) expect(await (await cache.match(SCOPE + path))!.text(), path).toBe(text);
    // Installing the same version again (an interrupted install retried) fetches nothing.
    const again = server(v2);
    expect((await installPrecache(storage, manifest, SCOPE, again.fetchFile)).fetched).toEqual([]);
    expect(again.fetched).toEqual([]);
  });

  it('a file whose bytes do not match its revision (a stale server copy) or that fails to download fails the install with a clear error', async () => {
    const stale = new Map([...v1, ['index.html', '<html>v0</html>']]);
    await expect(installPrecache(new MemoryCaches(), precacheManifest(v1), SCOPE, server(stale).fetchFile)).rejects.toThrow(
      /Precaching index\.html failed: the server sent revision [0-9a-f]{16}, the build has [0-9a-f]{16}/,
    );
    const missing = new Map([...v1].filter(([path]) => path !== 'assets/main-1.js'));
    await expect(installPrecache(new MemoryCaches(), precacheManifest(v1), SCOPE, server(missing).fetchFile)).rejects.toThrow(
      'Precaching assets/main-1.js failed: HTTP 404.',
    );
  });
});
