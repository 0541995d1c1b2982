/**
 * Repair: re-fetches one stored chunk of a complete file by Range and checks it against the digest
 * recorded at download time (IdbModelSource and WeightStore.verify call it for damaged or missing
 * chunks).
 */
import { IntegrityError, ModelFormatError, NetworkError } from '../core/errors.js';
import { fetchChecked, isAbort, parseContentRange, TransientError, withRetry, type FetchLike, type RetryOptions } from './http.js';
import { fileUrl } from '../engine/model/model-url.js';
import type { FileRecord } from './records.js';
import { sha256Native } from './sha256.js';

/** Re-fetches stored chunk `index` of `record`; throws IntegrityError when the server's bytes differ. */
export async function fetchChunk(
  ctx: { fetch: FetchLike; retry: RetryOptions; signal?: AbortSignal; baseUrl: string },
  record: FileRecord,
  index: number,
): Promise<Uint8Array> {
  const url = fileUrl(ctx.baseUrl, record.path);
  const start = index * record.chunkSize;
  const end = Math.min(start + record.chunkSize, record.size ?? Infinity);
  const bytes = await withRetry(
    async () => {
      const init: RequestInit = { headers: { Range: `bytes=${start}-${end - 1}` }, cache: 'no-store' };
      if (ctx.signal) init.signal = ctx.signal;
      const response = await fetchChecked(ctx.fetch, url, record.path, init);
      try {
        return await readRange(response, start, end);
      } catch (error) {
        if (error instanceof ModelFormatError || isAbort(error, ctx.signal)) throw error;
        throw new TransientError(new NetworkError(`The connection to ${url} broke while re-fetching a damaged chunk.`));
      }
    },
    ctx.retry,
    ctx.signal,
    () => {},
  );
  if ((await sha256Native(bytes)) !== record.chunks[index]) {
    throw new IntegrityError(
      `The server's copy of ${record.path} differs from the one stored (chunk ${index}): the model changed upstream. Delete the stored model and download it again.`,
    );
  }
  return bytes;
}

/** The bytes [start, end) of a response to a Range request: a 206 body, or the slice of a 200 body. */
async function readRange(response: Response, start: number, end: number): Promise<Uint8Array> {
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range && range.start !== start) throw new ModelFormatError(`The server answered with bytes ${range.start}- instead of ${start}-.`);
    return new Uint8Array(await response.arrayBuffer());
  }
  // No Range support: read up to `end`, keep [start, end), and stop the transfer.
  const out = new Uint8Array(end - start);
  const reader = response.body!.getReader();
  let pos = 0;
  while (pos < end) {
    const { done, value } = await reader.read();
    if (done) break;
    const from = Math.max(start, pos);
    const to = Math.min(end, pos + value.length);
    if (to > from) out.set(value.subarray(from - pos, to - pos), from - start);
    pos += value.length;
  }
  reader.cancel().catch(() => {});
  if (pos < end) throw new Error('short read');
  return out;
}
