/**
 * App build (index.html + the engine worker). onnxruntime-web's runtime files are served from our
 * own origin under /ort/ (dev: middleware; build: copied into dist/ort/). COOP/COEP make the page
 * cross-origin isolated for multi-threaded wasm on the dev and preview servers.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const ORT_DIST = fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/', import.meta.url));
/** The runtime files onnxruntime-web/webgpu loads (its WebGPU EP is built into the asyncify wasm). */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function ortRuntimeFiles(): Plugin {
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
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(ORT_DIST + file) });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [ortRuntimeFiles()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    rollupOptions: { input: { main: fileURLToPath(new URL('./index.html', import.meta.url)) } },
  },
});
