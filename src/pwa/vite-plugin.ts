/**
 * Build side of the PWA (runs in Node, from vite.config.ts): builds src/pwa/service-worker.ts to a
 * fixed URL, `sw.js` at the app root (its scope is then the whole app), and writes this build's
 * precache manifest into it: the files `isPrecached` picks from the bundle and the public folder, and
 * a version that hashes their bytes. Any change to a precached file changes sw.js, so browsers
 * install the new version (and the page offers a reload, see register.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'vite';
import { isPrecached, type PrecacheManifest } from './precache.js';

export const SERVICE_WORKER_FILE = 'sw.js';
const ENTRY_NAME = 'service-worker';

export interface ServiceWorkerPluginOptions {
  /** The service worker's source. */
  entry: string;
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The manifest for `files` (path relative to the output folder → bytes; those `isPrecached` rejects are left out). */
export function precacheManifest(files: ReadonlyMap<string, string | Uint8Array>): PrecacheManifest {
  const urls = [...files.keys()].filter(isPrecached).sort();
  const version = sha256(urls.map((path) => `${path} ${sha256(files.get(path)!)}\n`).join('')).slice(0, 16);
  return { version, urls };
}

export function serviceWorkerPlugin(options: ServiceWorkerPluginOptions): Plugin {
  let publicDir = '';
  let assetsDir = 'assets';
  let manifest: PrecacheManifest | null = null;
  return {
    name: 'sd-service-worker',
    apply: 'build',
    enforce: 'post',
    config(config) {
      const input = config.build?.rolldownOptions?.input ?? config.build?.rollupOptions?.input;
      const named = typeof input === 'string' ? { main: input } : Array.isArray(input) ? Object.fromEntries(input.map((file, i) => [`entry${i}`, file])) : (input ?? {});
      const dir = config.build?.assetsDir ?? 'assets';
      return {
        build: {
          rolldownOptions: {
            input: { ...named, [ENTRY_NAME]: options.entry },
            output: { entryFileNames: (chunk) => (chunk.name === ENTRY_NAME ? SERVICE_WORKER_FILE : `${dir}/[name]-[hash].js`) },
          },
        },
      };
    },
    configResolved(config) {
      publicDir = config.publicDir;
      assetsDir = config.build.assetsDir;
    },
    generateBundle(_output, bundle) {
      const files = new Map<string, string | Uint8Array>();
      for (const [fileName, output] of Object.entries(bundle)) {
        if (isPrecached(fileName)) files.set(fileName, output.type === 'chunk' ? output.code : output.source);
      }
      for (const path of filesUnder(publicDir)) {
        const fileName = relative(publicDir, path).split(sep).join('/');
        if (isPrecached(fileName)) files.set(fileName, readFileSync(path));
      }
      manifest = precacheManifest(files);
      const worker = bundle[SERVICE_WORKER_FILE];
      if (!worker || worker.type !== 'chunk') this.error(`${SERVICE_WORKER_FILE} is missing from the bundle (assets in ${assetsDir}/).`);
      worker.code = `self.__SD_PRECACHE_MANIFEST__ = ${JSON.stringify(manifest)};\n${worker.code}`;
    },
    closeBundle() {
      if (manifest) this.info(`${SERVICE_WORKER_FILE}: precache version ${manifest.version}, ${manifest.urls.length} files`);
    },
  };
}
