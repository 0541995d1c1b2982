/**
 * Serves the app for browser tests: Vite's dev server, started in-process with the repo's
 * vite.config.ts on a free port, with optional extra folders (mounts.ts). Dependencies the worker
 * imports are pre-bundled up front so Vite does not discover them mid-test and reload the page.
 */
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { mountsMiddleware } from './mounts.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `mounts`: more folders served beside the app, URL prefix -> folder (see mounts.ts); `onMountRequest`
 * hears each request for them (method and path with query), e.g. to see which model files moved.
 */
export async function startAppServer(mounts: Record<string, string> = {}, onMountRequest?: (method: string, url: string) => void): Promise<AppServer> {
  const serve = mountsMiddleware(mounts, REPO_ROOT);
  const serveMounts: Plugin = {
    name: 'e2e-mounts',
    configureServer: (server) =>
      void server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        if (onMountRequest && Object.keys(mounts).some((prefix) => url.startsWith(prefix))) onMountRequest(req.method ?? 'GET', url);
        serve(req, res, next);
      }),
  };
  const server: ViteDevServer = await createServer({
    root: REPO_ROOT,
    configFile: `${REPO_ROOT}vite.config.ts`,
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { include: ['@huggingface/transformers', 'idb-keyval'] },
    plugins: Object.keys(mounts).length > 0 ? [serveMounts] : [],
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
