/**
 * What the service worker precaches, shared by the build (vite-plugin.ts, Node) and the service
 * worker: the app shell (index.html, its JS/CSS, the engine worker), onnxruntime-web's runtime files
 * under ort/ (served from our own origin, needed to start offline), the web app manifest and icons.
 *
 * Not precached: model weights (models/**, the weight store keeps them in IndexedDB: caching them here
 * too would store every large model twice), the library build and its example (lib/**, examples/**,
 * they are for other pages), source maps, and the onnxruntime-web .wasm copies Vite emits under
 * assets/ because the ORT bundles reference them (the engine sets `wasmPaths` to ort/, so they are
 * never fetched).
 */

export interface PrecacheManifest {
  /** A hash of every precached file's bytes: a new build with any change is a new version. */
  version: string;
  /** Paths relative to the service worker's scope (the app root), e.g. "index.html", "ort/…wasm". */
  urls: string[];
  /** Path → its revision, the first 16 hex digits of the SHA-256 of its bytes: an update fetches only files whose revision changed (precache-install.ts). */
  revisions: Record<string, string>;
}

/** Cache names: one per version, so an update installs beside the running version and replaces it on activation. */
export const CACHE_PREFIX = 'sd-web-precache-';

export function cacheName(version: string): string {
  return CACHE_PREFIX + version;
}

const EXCLUDED = [/^models\//, /^lib\//, /^examples\//, /\.map$/, /^assets\/ort-wasm[^/]*\.wasm$/, /^sw\.js$/];
const INCLUDED = [
  /^index\.html$/,
  /^assets\/[^/]+\.(js|mjs|css)$/,
  /^[^/]+\.(js|mjs)$/,
  /^ort\/[^/]+\.(mjs|wasm)$/,
  /^manifest\.webmanifest$/,
  /^icons\/[^/]+\.png$/,
];

/** Whether a build output (path relative to the output folder, "/"-separated) is precached. */
export function isPrecached(path: string): boolean {
  return !EXCLUDED.some((re) => re.test(path)) && INCLUDED.some((re) => re.test(path));
}
