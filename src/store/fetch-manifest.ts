/**
 * manifest.json, when the folder has one: stored once fetched; 404, a refusal (S3 answers 403 for
 * objects that do not exist) or an HTML fallback page means none.
 */
import { ModelFileMissingError, NetworkError } from '../core/errors.js';
import type { DownloadContext } from './file-download.js';
import { fetchChecked, withRetry } from './http.js';
import { MANIFEST_PATH, parseManifest, type Manifest } from './manifest.js';
import { fileUrl } from '../engine/model/model-url.js';
import { storeBytes } from './store-bytes.js';
import { assembleFile } from './stored-model.js';

export async function fetchManifest(ctx: DownloadContext): Promise<Manifest | undefined> {
  const stored = await ctx.store.getFile(ctx.id, MANIFEST_PATH);
  if (stored?.complete) return parseManifest(new TextDecoder().decode(await assembleFile(ctx.store, ctx.id, stored)), fileUrl(ctx.id, MANIFEST_PATH));
  const url = fileUrl(ctx.id, MANIFEST_PATH);
  const init: RequestInit = { cache: 'no-store' };
  if (ctx.signal) init.signal = ctx.signal;
  // First contact with the server: one retry only, so a wrong URL or missing CORS fails quickly.
  const text = await withRetry(
    async () => {
      try {
        const response = await fetchChecked(ctx.fetch, url, MANIFEST_PATH, init);
        if ((response.headers.get('content-type') ?? '').includes('text/html')) return undefined;
        return await response.text();
      } catch (error) {
        // 404, or a refusal (S3 answers 403 for objects that do not exist): no manifest. A gated
        // repository refuses model_index.json too, and that error says so.
        if (error instanceof ModelFileMissingError || error instanceof NetworkError) return undefined;
        throw error;
      }
    },
    { ...ctx.retry, attempts: Math.min(1, ctx.retry.attempts) },
    ctx.signal,
    (attempt, delayMs, reason) => ctx.progress.emit({ stage: 'retry', id: ctx.id, file: MANIFEST_PATH, attempt, maxAttempts: 1, delayMs, reason }),
  );
  if (text === undefined || /^\s*</.test(text)) return undefined;
  const manifest = parseManifest(text, url);
  await storeBytes(ctx.store, ctx.id, MANIFEST_PATH, new TextEncoder().encode(text), ctx.chunkSize);
  return manifest;
}
