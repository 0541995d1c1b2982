/**
 * Library build: <sd-text-to-image> as ES modules that any page loads with one script tag,
 * `<script type="module" src="lib/define.js">`, self-contained under dist/lib/ (the package's
 * 'sd-web/element' and 'sd-web/element/define'):
 *
 *   lib/sd-text-to-image.js       the element (entry, no side effects; exports defineSdTextToImage, SdTextToImageElement, …)
 *   lib/define.js                 side-effect entry: defines <sd-text-to-image> with its files beside it
 *   lib/engine.worker.js          the engine's module worker: an entry with a fixed name, which the element starts
 *                                 from a run-time URL (assetsUrl + engine.worker.js); it finds ort/ beside itself
 *   lib/assets/…                  chunks shared by the entries
 *   lib/ort/…                     onnxruntime-web's runtime (.mjs + .wasm), served from the page's origin
 *   lib/models/shapes-sd-fp16|32/ the bundled demo model, which model="shapes-sd" resolves to
 *   examples/element.html         a page that embeds the element (loads ../lib/define.js)
 *
 * Runs after the app build (`npm run build`) into the same dist/ and replaces only lib/ and examples/.
 * A normal Vite build with a JS entry, not `build.lib`: library mode inlines assets, and the worker's
 * URL and ORT's files must stay real files next to the module.
 */
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { isolationHeaders, ortResolve, ortRuntimeFiles } from './vite.config.js';

const root = fileURLToPath(new URL('./', import.meta.url));
const LIB = 'lib';

/** Clears lib/ and examples/ before the build; copies the demo models and the examples after it. */
function libraryFolders(): Plugin {
  let outDir = '';
  return {
    name: 'library-folders',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    buildStart() {
      for (const dir of [LIB, 'examples']) rmSync(join(outDir, dir), { recursive: true, force: true });
    },
    writeBundle() {
      cpSync(join(root, 'public/models'), join(outDir, LIB, 'models'), { recursive: true });
      cpSync(join(root, 'examples'), join(outDir, 'examples'), { recursive: true });
    },
  };
}

export default defineConfig({
  resolve: ortResolve,
  base: './',
  publicDir: false,
  plugins: [ortRuntimeFiles(`${LIB}/ort/`), libraryFolders()],
  worker: {
    format: 'es',
    rolldownOptions: {
      output: {
        entryFileNames: `${LIB}/[name]-[hash].js`,
        chunkFileNames: `${LIB}/assets/[name]-[hash].js`,
        assetFileNames: `${LIB}/assets/[name]-[hash][extname]`,
        keepNames: true,
      },
    },
  },
  preview: { headers: isolationHeaders },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    assetsDir: `${LIB}/assets`,
    rolldownOptions: {
      input: {
        'sd-text-to-image': fileURLToPath(new URL('./src/element/index.ts', import.meta.url)),
        define: fileURLToPath(new URL('./src/element/define.ts', import.meta.url)),
        'engine.worker': fileURLToPath(new URL('./workers/engine.worker.ts', import.meta.url)),
      },
      preserveEntrySignatures: 'strict',
      // keepNames: errors cross the worker boundary by class name (core/errors.ts) and are matched by it.
      output: {
        entryFileNames: `${LIB}/[name].js`,
        chunkFileNames: `${LIB}/assets/[name]-[hash].js`,
        assetFileNames: `${LIB}/assets/[name]-[hash][extname]`,
        keepNames: true,
      },
    },
  },
});
