/**
 * Shared by the weight-store browser tests and benchmark: a Vite dev server for the test page
 * (inline config, no vite.config.ts), and helpers that drive the store worker in a page.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { createServer } from 'vite';
import type { StoreOp, StoreReply } from './pages/store-worker.js';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const STORE_PAGE = 'e2e/pages/store.html';

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export async function startStorePageServer(): Promise<PageServer> {
  const server = await createServer({
    configFile: false,
    root: REPO_ROOT,
    cacheDir: `${REPO_ROOT}node_modules/.vite-store-e2e`,
    logLevel: 'warn',
    clearScreen: false,
    appType: 'mpa',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    // Pre-bundled up front so Vite does not discover it mid-test and reload the page.
    optimizeDeps: { include: ['idb-keyval'], entries: [] },
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

export async function openStorePage(context: BrowserContext, pageServer: PageServer): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error));
  await page.goto(pageServer.url + STORE_PAGE);
  await page.waitForFunction(() => window.storeReady === true);
  return page;
}

/** Calls the store worker; resolves with the result, or rejects with an Error of the same name and message. */
export async function storeCall<T>(page: Page, op: StoreOp, args: Record<string, unknown> = {}): Promise<T> {
  const reply: StoreReply = await page.evaluate(([o, a]) => window.storeCall(o, a), [op, args] as const);
  if (reply.error) {
    const error = new Error(reply.error.message);
    error.name = reply.error.name;
    throw error;
  }
  return reply.result as T;
}

/** Like storeCall, for a call that must fail: returns its `{ name, message }`. */
export async function storeError(page: Page, op: StoreOp, args: Record<string, unknown> = {}): Promise<{ name: string; message: string }> {
  const reply: StoreReply = await page.evaluate(([o, a]) => window.storeCall(o, a), [op, args] as const);
  if (!reply.error) throw new Error(`${op} was expected to fail but succeeded`);
  return reply.error;
}
