/**
 * Build side of the PWA (runs in Node, from vite.config.ts): bundles src/pwa/service-worker.ts into
 * one classic script at a fixed URL, `sw.js` at the app root (its scope is then the whole app), and
 * writes this build's precache manifest into it: the files `isPrecached` picks from the bundle and
 * the public folder, and a version that hashes their bytes. Any change to a precached file changes sw.js, so browsers
 * install the new version (and the page offers a reload, see register.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { build, type Plugin, type Rolldown } from 'vite';
import { isPrecached, type PrecacheManifest } from './precache.js';

export const SERVICE_WORKER_FILE = 'sw.js';
type RolldownOutput = Rolldown.RolldownOutput;

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
  // A revision as the service worker checks it (precache-install.ts revisionOf).
  const revisions = Object.fromEntries(urls.map((path) => [path, sha256(files.get(path)!).slice(0, 16)]));
  const version = sha256(urls.map((path) => `${path} ${revisions[path]}\n`).join('')).slice(0, 16);
  return { version, urls, revisions };
}

export function serviceWorkerPlugin(options: ServiceWorkerPluginOptions): Plugin {
  let publicDir = '';
  let manifest: PrecacheManifest | null = null;
  return {
    name: 'sd-service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    async generateBundle(_output, bundle) {
      const files = new Map<string, string | Uint8Array>();
      for (const [fileName, output] of Object.entries(bundle)) {
        if (isPrecached(fileName)) files.set(fileName, output.type === 'chunk' ? output.code : output.source);
      }
      for (const path of filesUnder(publicDir)) {
        const fileName = relative(publicDir, path).split(sep).join('/');
        if (isPrecached(fileName)) files.set(fileName, readFileSync(path));
      }
      manifest = precacheManifest(files);
      const code = await bundleServiceWorker(options.entry);
      this.emitFile({ type: 'asset', fileName: SERVICE_WORKER_FILE, source: `self.__SD_PRECACHE_MANIFEST__ = ${JSON.stringify(manifest)};\n${code}` });
    },
    closeBundle() {
      if (manifest) this.info(`${SERVICE_WORKER_FILE}: precache version ${manifest.version}, ${manifest.urls.length} files`);
    },
  };
}

/**
 * The service worker as one classic script, bundled on its own (not as an entry of the app's build,
 * whose shared chunks, such as rolldown's runtime, it would then import).
 */
async function bundleServiceWorker(entry: string): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      write: false,
      target: 'es2022',
      minify: true,
      lib: { entry, formats: ['iife'], name: 'sdServiceWorker', fileName: () => SERVICE_WORKER_FILE },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as RolldownOutput[];
  const chunk = outputs.flatMap((output) => output.output).find((file) => file.type === 'chunk');
  if (chunk?.type !== 'chunk') throw new Error(`Bundling ${entry} produced no script.`);
  return chunk.code;
}
