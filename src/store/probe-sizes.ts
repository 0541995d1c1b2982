/**
 * The files of a folder that exist and their sizes (null: unknown), before downloading. With a
 * manifest, that is the manifest; without, a HEAD request per file not yet stored, whose
 * Content-Length goes into `probed` (the size the download must reach; not for JSON and text, which
 * may be served compressed, see http.ts `mayBeContentEncoded`). A required file that is
 * missing fails here, before anything large moves.
 */
import { CancelledError, ModelFileMissingError, ModelFormatError } from '../core/errors.js';
import type { DownloadContext } from './file-download.js';
import { checkFileStart } from './file-format.js';
import { contentLength, fetchChecked, mayBeContentEncoded } from './http.js';
import type { ModelFile } from './model-files.js';
import { fileUrl } from '../engine/model/model-url.js';
import type { FileRecord } from './records.js';

export async function probeSizes(
  ctx: DownloadContext,
  files: ModelFile[],
  stored: Map<string, FileRecord>,
  probe: boolean,
  probed: Map<string, number>,
): Promise<Map<string, number | null>> {
  const sizes = new Map<string, number | null>();
  await Promise.all(
    files.map(async (file) => {
      const record = stored.get(file.path);
      if (file.size !== undefined || record?.complete || !probe) {
        sizes.set(file.path, file.size ?? record?.size ?? null);
        return;
      }
      const url = fileUrl(ctx.id, file.path);
      const init: RequestInit = { method: 'HEAD', cache: 'no-store' };
      if (ctx.signal) init.signal = ctx.signal;
      try {
        const response = await fetchChecked(ctx.fetch, url, file.path, init);
        const type = response.headers.get('content-type') ?? '';
        if (type.includes('text/html')) {
          // Static hosts with an SPA fallback answer 200 + index.html for files they lack.
          if (!file.required) return;
          checkFileStart(file.path, new TextEncoder().encode('<html>'), url);
        }
        const size = contentLength(response);
        // A compressed text file's HEAD may give its compressed size: good for planning, not a size to reach.
        if (size !== null && !mayBeContentEncoded(file.path)) probed.set(file.path, size);
        sizes.set(file.path, size ?? record?.size ?? null);
      } catch (error) {
        if (error instanceof CancelledError || error instanceof ModelFormatError) throw error;
        if (error instanceof ModelFileMissingError) {
          if (file.required) throw error;
          return;
        }
        sizes.set(file.path, record?.size ?? null); // HEAD not allowed or flaky: the GET will tell
      }
    }),
  );
  return sizes;
}
