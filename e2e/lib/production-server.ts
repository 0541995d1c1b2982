/**
 * The production build for browser tests: `vite build` (app, with sw.js) then `vite build -c
 * vite.lib.config.ts` (the element library and its example), into a private folder under
 * node_modules/.cache (never dist/, which others may be using), rebuilt only when an input changed;
 * served by `vite preview` in-process, with the repo's vite.config.ts (its COOP/COEP headers).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview, type Plugin, type PreviewServer } from 'vite';
import { mountsMiddleware } from './mounts.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_DIR = join(REPO_ROOT, 'node_modules/.cache/sd-e2e-production');
const STAMP = '.inputs-hash';
/** Bump to rebuild when the way of building changes. */
const RECIPE = 2;
const INPUTS = ['src', 'workers', 'public', 'examples', 'index.html', 'vite.config.ts', 'vite.lib.config.ts', 'package.json', 'package-lock.json'];

/** A hash of the build's inputs: contents of small files, size and mtime of large ones (the models). */
function inputsHash(): string {
  const hash = createHash('sha256').update(`recipe ${RECIPE}\n`);
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.endsWith('.test.ts')) visit(join(path, name));
      return;
    }
    hash.update(`${relative(REPO_ROOT, path)}\0`);
    hash.update(stat.size > 1 << 20 ? `${stat.size}:${stat.mtimeMs}` : readFileSync(path));
  };
  for (const input of INPUTS) visit(join(REPO_ROOT, input));
  return hash.digest('hex');
}

/** Builds app + library into the private folder unless it is up to date; returns the folder. */
export async function productionBuild(): Promise<string> {
  const key = inputsHash();
  const stamp = join(BUILD_DIR, STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return BUILD_DIR;
  const common = { root: REPO_ROOT, mode: 'production', logLevel: 'warn' as const, clearScreen: false };
  // Vitest sets NODE_ENV=test, and Vite then builds with import.meta.env.PROD false (no service worker).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ ...common, configFile: join(REPO_ROOT, 'vite.config.ts'), build: { outDir: BUILD_DIR, emptyOutDir: true } });
    await build({ ...common, configFile: join(REPO_ROOT, 'vite.lib.config.ts'), build: { outDir: BUILD_DIR, emptyOutDir: false } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  writeFileSync(stamp, key);
  return BUILD_DIR;
}

export interface ProductionServer {
  /** The app's URL, ending in "/". */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `vite preview` of `outDir` on `port` (0: a free one); `onRequest` hears every request's path (with
 * query) and method; `mounts` serves more folders beside the build, URL prefix -> folder (e.g. test fixtures:
 * `{ '/fixtures/img2img/': 'fixtures/img2img/public' }`, relative to the repository).
 */
export async function startPreview(
  outDir: string,
  port = 0,
  onRequest?: (url: string, method: string) => void,
  mounts: Record<string, string> = {},
): Promise<ProductionServer> {
  const requestLog: Plugin = {
    name: 'e2e-request-log',
    configurePreviewServer(server) {
      const serveMounts = mountsMiddleware(mounts, REPO_ROOT);
      server.middlewares.use((req, res, next) => {
        onRequest?.(req.url ?? '', req.method ?? 'GET');
        serveMounts(req, res, next);
      });
    },
  };
  const server: PreviewServer = await preview({
    root: REPO_ROOT,
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    plugins: onRequest || Object.keys(mounts).length > 0 ? [requestLog] : [],
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: port !== 0, open: false },
  });
  const address = server.httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Drop keep-alive connections too, so the port is really closed (the offline test relies on it).
        (server.httpServer as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.httpServer.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
