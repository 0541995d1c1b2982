/**
 * App build (index.html + the engine worker + the service worker). onnxruntime-web's runtime files
 * are served from our own origin under ort/ (dev: middleware; build: copied into dist/ort/). COOP/COEP
 * make the page cross-origin isolated for multi-threaded wasm on the dev and preview servers (on other
 * static hosts the service worker adds them, see src/pwa/sw-routes.ts).
 *
 * The engine worker's entry is emitted at the root of the build, beside index.html: it resolves
 * `<BASE_URL>ort/` against its own URL, and with the relative base ('./') that is only the app's
 * ort/ folder when the worker sits at the base. (The library build does the same under lib/.)
 */
import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { serviceWorkerPlugin } from './src/pwa/vite-plugin.js';

const ORT_DIST = fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/', import.meta.url));
/** The runtime files onnxruntime-web/webgpu loads (its WebGPU EP is built into the asyncify wasm). */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/**
 * onnxruntime-web's "extern wasm" builds load their runtime from env.wasm.wasmPaths (our ort/) instead of
 * bundling another 27 MB copy; dedupe gives @huggingface/transformers (imported for the tokenizer) our copy.
 */
export const ortResolve = {
  conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  dedupe: ['onnxruntime-web'],
};

export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Serves (dev) and emits (build) the ORT runtime files under `<dir>` of the output, `ort/` by default. */
export function ortRuntimeFiles(dir = 'ort/'): Plugin {
  return {
    name: 'ort-runtime-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = /\/ort\/([^/?]+)$/.exec(req.url?.split('?')[0] ?? '');
        if (!match || !ORT_FILES.includes(match[1])) return next();
        res.setHeader('Content-Type', match[1].endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        // The .mjs is also the script of ORT's pthread workers: a worker in a cross-origin isolated page needs COEP on its script.
        for (const [name, value] of Object.entries(isolationHeaders)) res.setHeader(name, value);
        createReadStream(ORT_DIST + match[1]).pipe(res);
      });
    },
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: `${dir}${file}`, source: readFileSync(ORT_DIST + file) });
    },
  };
}

/**
 * Dev only: serves the library's URLs from the sources, so examples/element.html (which loads
 * ../lib/define.js, as it does from the build) also runs on the dev server.
 */
function libraryDevUrls(): Plugin {
  const sources: Record<string, string> = {
    '/lib/sd-text-to-image.js': '/src/element/index.ts',
    '/lib/define.js': '/src/element/define.ts',
    '/lib/engine.worker.js': '/workers/engine.worker.ts',
  };
  return {
    name: 'library-dev-urls',
    apply: 'serve',
    resolveId(id) {
      return id in sources ? fileURLToPath(new URL(`.${sources[id]}`, import.meta.url)) : null;
    },
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const path = req.url?.split('?')[0] ?? '';
        if (path in sources) req.url = sources[path];
        else if (path.startsWith('/lib/models/')) req.url = req.url!.slice('/lib'.length);
        next();
      });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [ortRuntimeFiles(), libraryDevUrls(), serviceWorkerPlugin({ entry: fileURLToPath(new URL('./src/pwa/service-worker.ts', import.meta.url)) })],
  // keepNames: errors cross the worker boundary by class name (core/errors.ts) and are matched by it.
  worker: { format: 'es', rolldownOptions: { output: { entryFileNames: '[name]-[hash].js', keepNames: true } } },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  resolve: ortResolve,
  build: {
    target: 'es2022',
    rolldownOptions: { input: { main: fileURLToPath(new URL('./index.html', import.meta.url)) }, output: { keepNames: true } },
  },
});
