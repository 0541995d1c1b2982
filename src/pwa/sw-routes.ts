/**
 * The service worker's routing, as pure functions over Request/Response (tested in Node):
 *
 * - precached files (the app shell, ORT runtime) are served cache-first from this version's cache;
 *   a navigation to a folder ("./") is served its index.html;
 * - model weights, Range requests, other origins and everything else go to the network untouched (the
 *   weight store streams weights into IndexedDB; nothing large passes through a cache here);
 * - documents and worker scripts get COOP/COEP headers (as coi-serviceworker does), so the app is
 *   cross-origin isolated (multi-threaded wasm) even on static hosts that cannot send headers.
 */

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export type Route =
  | { kind: 'passthrough' }
  /** Served from the precache (key: absolute URL without query), network if it is missing there. */
  | { kind: 'precache'; key: string; isolate: boolean }
  /** A document or worker script that is not precached: from the network, with isolation headers. */
  | { kind: 'network'; isolate: true };

export interface RequestLike {
  url: string;
  method: string;
  mode: RequestMode;
  destination: RequestDestination;
  headers: Pick<Headers, 'has'>;
}

const ISOLATED_DESTINATIONS: ReadonlySet<string> = new Set(['document', 'iframe', 'worker', 'sharedworker']);

/** How the service worker answers `request`; `precached` holds absolute URLs without query. */
export function routeFor(request: RequestLike, scope: string, precached: ReadonlySet<string>): Route {
  const url = new URL(request.url);
  const root = new URL(scope);
  if (request.method !== 'GET' || url.origin !== root.origin || !url.pathname.startsWith(root.pathname)) return { kind: 'passthrough' };
  if (request.headers.has('range')) return { kind: 'passthrough' };
  const path = url.pathname.slice(root.pathname.length);
  if (path.startsWith('models/') || path.startsWith('lib/models/')) return { kind: 'passthrough' };

  const isolate = request.mode === 'navigate' || ISOLATED_DESTINATIONS.has(request.destination);
  const key = url.origin + url.pathname + (request.mode === 'navigate' && url.pathname.endsWith('/') ? 'index.html' : '');
  if (precached.has(key)) return { kind: 'precache', key, isolate };
  return isolate ? { kind: 'network', isolate: true } : { kind: 'passthrough' };
}

/** `response` with COOP/COEP/CORP added where it lacks them. Opaque responses cannot be changed and are returned as they are. */
export function withIsolationHeaders(response: Response): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  let changed = false;
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) {
    if (headers.has(name)) continue;
    headers.set(name, value);
    changed = true;
  }
  if (!changed) return response;
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
