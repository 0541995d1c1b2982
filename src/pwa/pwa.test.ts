import { describe, expect, it, vi } from 'vitest';
import { whenIdle, type BusySignal } from './busy.js';
import { isPrecached } from './precache.js';
import { routeFor, withIsolationHeaders, type RequestLike } from './sw-routes.js';
import { precacheManifest } from './vite-plugin.js';

describe('isPrecached', () => {
  it.each([
    ['index.html', true],
    ['assets/main-B-8ha82F.js', true],
    ['assets/main-BQNaif8y.css', true],
    ['engine.worker-BPIQyltq.js', true],
    ['ort/ort-wasm-simd-threaded.asyncify.mjs', true],
    ['ort/ort-wasm-simd-threaded.asyncify.wasm', true],
    ['manifest.webmanifest', true],
    ['icons/icon-192.png', true],
    ['sw.js', false],
    ['models/shapes-sd-fp32/unet/weights.pb', false],
    ['models/shapes-sd-fp32/model_index.json', false],
    ['lib/sd-text-to-image.js', false],
    ['examples/element.html', false],
    ['assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', false],
    ['assets/main-B-8ha82F.js.map', false],
  ])('%s: %s', (path, expected) => expect(isPrecached(path)).toBe(expected));
});

describe('precacheManifest', () => {
  const files = new Map<string, string>([
    ['index.html', '<html>'],
    ['assets/a-1.js', 'a'],
    ['models/m/unet.onnx', 'big'],
  ]);

  it('lists the precached files, sorted, with a version hashing their bytes', () => {
    const manifest = precacheManifest(files);
    expect(manifest.urls).toEqual(['assets/a-1.js', 'index.html']);
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/);
    expect(precacheManifest(new Map(files)).version).toBe(manifest.version);
  });

  it('changes version when a precached file changes, not when a model does', () => {
    const { version } = precacheManifest(files);
    expect(precacheManifest(new Map([...files, ['index.html', '<html lang=en>']])).version).not.toBe(version);
    expect(precacheManifest(new Map([...files, ['models/m/unet.onnx', 'bigger']])).version).toBe(version);
  });
});

describe('routeFor', () => {
  const scope = 'https://app.example/sd/';
  const precached = new Set([`${scope}index.html`, `${scope}assets/main-1.js`, `${scope}engine.worker-1.js`, `${scope}ort/ort.wasm`]);
  const request = (url: string, init: Partial<RequestLike> & { range?: boolean } = {}): RequestLike => ({
    url,
    method: init.method ?? 'GET',
    mode: init.mode ?? 'cors',
    destination: init.destination ?? '',
    headers: { has: (name: string) => name === 'range' && !!init.range },
  });

  it('serves the app shell from the precache; a navigation to the folder gets index.html, with isolation headers', () => {
    expect(routeFor(request(scope, { mode: 'navigate', destination: 'document' }), scope, precached)).toEqual({
      kind: 'precache',
      key: `${scope}index.html`,
      isolate: true,
    });
    expect(routeFor(request(`${scope}index.html?x=1`, { mode: 'navigate', destination: 'document' }), scope, precached)).toEqual({
      kind: 'precache',
      key: `${scope}index.html`,
      isolate: true,
    });
    expect(routeFor(request(`${scope}assets/main-1.js`, { destination: 'script' }), scope, precached)).toEqual({
      kind: 'precache',
      key: `${scope}assets/main-1.js`,
      isolate: false,
    });
    expect(routeFor(request(`${scope}engine.worker-1.js`, { destination: 'worker' }), scope, precached)).toEqual({
      kind: 'precache',
      key: `${scope}engine.worker-1.js`,
      isolate: true,
    });
  });

  it('leaves model weights, ranges, other origins, other methods and unknown files to the network', () => {
    for (const r of [
      request(`${scope}models/shapes-sd-fp32/unet/weights.pb`),
      request(`${scope}lib/models/shapes-sd-fp32/unet/weights.pb`),
      request(`${scope}ort/ort.wasm`, { range: true }),
      request('https://huggingface.co/org/repo/resolve/main/unet/model.onnx'),
      request(`${scope}assets/main-1.js`, { method: 'POST' }),
      request(`${scope}assets/unknown.js`, { destination: 'script' }),
      request('https://app.example/other/index.html', { mode: 'navigate', destination: 'document' }),
    ]) {
      expect(routeFor(r, scope, precached)).toEqual({ kind: 'passthrough' });
    }
  });

  it('fetches documents and worker scripts it does not hold, adding isolation headers', () => {
    expect(routeFor(request(`${scope}examples/element.html`, { mode: 'navigate', destination: 'document' }), scope, precached)).toEqual({
      kind: 'network',
      isolate: true,
    });
    expect(routeFor(request(`${scope}lib/engine.worker-2.js`, { destination: 'worker' }), scope, precached)).toEqual({ kind: 'network', isolate: true });
  });
});

describe('withIsolationHeaders', () => {
  it('adds COOP, COEP and CORP and keeps status, body and other headers', async () => {
    const response = withIsolationHeaders(new Response('hello', { status: 201, statusText: 'Made', headers: { 'Content-Type': 'text/html' } }));
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(await response.text()).toBe('hello');
  });

  it("keeps a server's own values, and returns the response itself when nothing is missing", () => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'credentialless',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    };
    const original = new Response('x', { headers });
    expect(withIsolationHeaders(original)).toBe(original);
  });
});

describe('whenIdle', () => {
  function fakeBusy(initial: boolean) {
    let busy = initial;
    const listeners = new Set<() => void>();
    const signal: BusySignal = {
      isBusy: () => busy,
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    return { signal, set: (value: boolean) => ((busy = value), [...listeners].forEach((l) => l())), listeners };
  }

  it('acts at once when idle', () => {
    const action = vi.fn();
    whenIdle(fakeBusy(false).signal, action);
    expect(action).toHaveBeenCalledTimes(1);
  });

  it('waits while busy, acts once when idle, then stops listening', () => {
    const busy = fakeBusy(true);
    const action = vi.fn();
    whenIdle(busy.signal, action);
    busy.set(true);
    expect(action).not.toHaveBeenCalled();
    busy.set(false);
    busy.set(true);
    busy.set(false);
    expect(action).toHaveBeenCalledTimes(1);
    expect(busy.listeners.size).toBe(0);
  });
});
