/**
 * A Vite app using the sd-web package. The element's module is bundled like any dependency, but its
 * files (engine.worker.js, ort/ with onnxruntime-web's runtime, models/ with the demo model) must be
 * served as they are from this origin: this plugin serves the package's dist/lib/ at /sd-web/ on the
 * dev server and copies it to dist/sd-web/ in the build; main.js passes that URL as `assetsUrl`.
 */
import { cpSync, createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { defineConfig } from 'vite';

const SD_WEB_LIB = join(dirname(createRequire(import.meta.url).resolve('sd-web/package.json')), 'dist', 'lib');
// Cross-origin isolation: multi-threaded wasm (the page, and the worker scripts too).
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

function sdWebFiles(urlPath = 'sd-web') {
  let outDir = '';
  return {
    name: 'sd-web-files',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(`/${urlPath}/`, (req, res, next) => {
        const file = normalize(join(SD_WEB_LIB, decodeURIComponent((req.url ?? '').split('?')[0])));
        if (!file.startsWith(SD_WEB_LIB + sep) || !existsSync(file) || statSync(file).isDirectory()) return next();
        for (const [name, value] of Object.entries(ISOLATION)) res.setHeader(name, value);
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
    writeBundle() {
      cpSync(SD_WEB_LIB, join(outDir, urlPath), { recursive: true });
    },
  };
}

export default defineConfig({
  plugins: [sdWebFiles()],
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
});
