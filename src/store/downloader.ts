/**
 * Streams one file of a model folder into the ChunkStore: fetch → ReadableStream → fixed-size
 * chunks → IndexedDB, with resume, retries and an incremental SHA-256.
 *
 * - Memory: two chunk buffers (one filling from the network while the other is being written),
 *   never the whole file. The whole-file SHA-256 is updated as bytes arrive (so the hashing
 *   overlaps the transfer) and the native per-chunk digest is taken when a chunk is stored.
 * - Resume: each chunk is stored together with the file record listing its digest and the
 *   whole-file hasher's state, so an interrupted download (network drop, reload, closed tab)
 *   continues with `Range: bytes=<stored>-`. Within one session a retry continues from the exact
 *   byte where the connection broke (the partial chunk is still in memory).
 * - One version of the file (RFC 9110 validators): every resume sends `If-Range` with the strong
 *   ETag or Last-Modified the first response carried. The stored part is kept only when the 206
 *   carries the same validators and the same total size (`Content-Range: bytes N-M/TOTAL`);
 *   otherwise, and on a 200 (the server ignores Range, or If-Range found the file changed), the
 *   file starts again from byte 0. Without a validator a stored part cannot be tied to the
 *   server's current file, so it is not resumed at all unless the manifest's SHA-256 will check it.
 * - Size: the expected size (manifest, HEAD probe, Content-Length, Content-Range total) must be
 *   reached exactly; a body that ends early (also a close-delimited one without Content-Length)
 *   leaves the file partial and is resumed.
 * - Integrity: the whole-file SHA-256 is checked against the manifest when there is one, and
 *   recorded otherwise; the file record is marked complete only after that.
 * - Repair: `fetchChunk` re-fetches one stored chunk by Range and checks it against its digest.
 */
import { IntegrityError, ModelFormatError, NetworkError } from '../core/errors.js';
import type { ChunkStore } from './chunk-store.js';
import { checkFileStart, SNIFF_BYTES } from './file-format.js';
import {
  backoffDelay,
  cancelled,
  contentLength,
  fetchChecked,
  isAbort,
  parseContentRange,
  sleep,
  TransientError,
  withRetry,
  type FetchLike,
  type RetryOptions,
} from './http.js';
import type { ModelFile } from './model-files.js';
import { fileUrl } from '../engine/model/model-url.js';
import type { ProgressTracker } from './progress.js';
import { formatBytes } from './quota.js';
import { emptyFileRecord, type FileRecord } from './records.js';
import { Sha256, sha256Native, type Sha256State } from './sha256.js';

export interface DownloadContext {
  store: ChunkStore;
  id: string;
  baseUrl: string;
  fetch: FetchLike;
  chunkSize: number;
  retry: RetryOptions;
  signal?: AbortSignal;
  progress: ProgressTracker;
}

/** How often one file may restart from byte 0 (server without Range support) before we give up. */
const MAX_RESTARTS = 3;

/**
 * Downloads `file` unless it is already complete; returns its complete record. `probedSize` is
 * the size a HEAD request reported this session (the file must reach it unless a later response
 * gives another).
 */
export function downloadFile(ctx: DownloadContext, file: ModelFile, probedSize: number | null = null): Promise<FileRecord> {
  return new FileDownload(ctx, file, probedSize).run();
}

/** The validators a response carries (Last-Modified is CORS-safelisted; ETag needs Access-Control-Expose-Headers). */
function validatorsOf(response: Response): Pick<FileRecord, 'etag' | 'lastModified'> {
  const out: Pick<FileRecord, 'etag' | 'lastModified'> = {};
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  if (etag) out.etag = etag;
  if (lastModified) out.lastModified = lastModified;
  return out;
}

/** What `If-Range` may carry: a strong ETag, else Last-Modified (weak ETags are not allowed there). */
function ifRangeValidator(record: FileRecord): string | undefined {
  return record.etag && !record.etag.startsWith('W/') ? record.etag : record.lastModified;
}

/** Whether a 206 comes from the version whose start is stored: a shared validator matches and none differs. */
function sameVersion(record: FileRecord, response: Response): boolean {
  const now = validatorsOf(response);
  const pairs = (['etag', 'lastModified'] as const).filter((key) => record[key] !== undefined && now[key] !== undefined);
  return pairs.length > 0 && pairs.every((key) => record[key] === now[key]);
}

class FileDownload {
  readonly #ctx: DownloadContext;
  readonly #file: ModelFile;
  readonly #url: string;
  #rec!: FileRecord;
  #hasher!: Sha256;
  /** Two chunk buffers: #buffers[#current] fills while the other may be in a pending commit. */
  #buffers: (Uint8Array | null)[] = [null, null];
  #current = 0;
  #fill = 0;
  #pending: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #sniffed = false;
  #restarts = 0;
  /** The size expected before any GET: the manifest's, else this session's HEAD. */
  readonly #expectedSize: number | null;

  constructor(ctx: DownloadContext, file: ModelFile, probedSize: number | null) {
    this.#ctx = ctx;
    this.#file = file;
    this.#url = fileUrl(ctx.baseUrl, file.path);
    this.#expectedSize = file.size ?? probedSize;
  }

  /** Bytes of the file we hold: committed, being committed, and in the filling buffer. */
  get #offset(): number {
    return this.#rec.storedBytes + this.#pendingBytes + this.#fill;
  }

  async run(): Promise<FileRecord> {
    const { store, id, chunkSize, retry, signal, progress } = this.#ctx;
    const { path, sha256 } = this.#file;
    const stored = await store.getFile(id, path);
    if (stored?.complete && (!sha256 || stored.sha256 === sha256)) return stored;
    const expected = this.#expectedSize;
    if (
      stored &&
      !stored.complete &&
      stored.chunkSize === chunkSize &&
      stored.expectedSha256 === sha256 &&
      (expected === null || stored.size === null || stored.size === expected) &&
      (stored.storedBytes === 0 || sha256 !== undefined || ifRangeValidator(stored) !== undefined)
    ) {
      this.#rec = stored;
      if (stored.size === null && expected !== null) this.#rec.size = expected;
    } else {
      // New file; a different chunk size or manifest than the stored part was made with; a size
      // that changed on the server since; or a part that no validator ties to the server's file.
      this.#rec = emptyFileRecord(path, chunkSize, expected, sha256);
      await store.resetFile(id, this.#rec);
    }
    this.#hasher = this.#rec.hash ? Sha256.restore(this.#rec.hash) : new Sha256();
    this.#sniffed = this.#rec.storedBytes > 0;
    progress.download(path, this.#offset, this.#rec.size, true);

    for (let failures = 0, reached = this.#offset; ; ) {
      try {
        await this.#request();
        return await this.#finish();
      } catch (error) {
        await this.#settle();
        if (signal?.aborted || isAbort(error)) throw cancelled();
        if (!(error instanceof TransientError)) throw error;
        if (this.#offset > reached) {
          // Further than ever before: the server is alive (a file that restarts from byte 0 and
          // breaks at the same place again counts as failing).
          failures = 0;
          reached = this.#offset;
        }
        if (failures >= retry.attempts) {
          throw new NetworkError(
            `${error.message} Gave up on ${path} at ${formatBytes(this.#rec.storedBytes)}` +
              `${this.#rec.size !== null ? ` of ${formatBytes(this.#rec.size)}` : ''} after ${retry.attempts} retries. ` +
              'What was stored is kept: try again later and the download continues from there.',
          );
        }
        const delayMs = backoffDelay(failures, retry);
        failures++;
        progress.emit({ stage: 'retry', id, file: path, attempt: failures, maxAttempts: retry.attempts, delayMs, reason: error.message });
        await sleep(delayMs, signal);
      }
    }
  }

  /** One HTTP request from the current offset to the end of the file (or until the connection breaks). */
  async #request(): Promise<void> {
    const { fetch, signal } = this.#ctx;
    const validator = ifRangeValidator(this.#rec);
    if (this.#offset > 0 && validator === undefined && !this.#file.sha256) {
      // Nothing would tell whether the server still has the file whose start we hold.
      await this.#restart('the server sends no ETag or Last-Modified to resume against', false);
    }
    const offset = this.#offset;
    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers['Range'] = `bytes=${offset}-`;
      if (validator !== undefined) headers['If-Range'] = validator;
    }
    const init: RequestInit = { headers, cache: 'no-store' };
    if (signal) init.signal = signal;
    const response = await fetchChecked(fetch, this.#url, this.#file.path, init);
    let total: number | null;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      const length = contentLength(response);
      total = range?.total ?? (range && length !== null ? range.start + length : null);
      if (this.#file.size !== undefined) this.#checkSize(total);
      const problem =
        range?.start !== offset
          ? 'the server sent another range than requested'
          : !this.#file.sha256 && !sameVersion(this.#rec, response)
            ? 'the file changed on the server (its ETag / Last-Modified differ)'
            : total !== null && this.#rec.size !== null && total !== this.#rec.size
              ? `the file changed on the server (now ${total} bytes, was ${this.#rec.size})`
              : undefined;
      if (problem) {
        await response.body?.cancel();
        await this.#restart(problem, true, total !== null && range?.start === offset ? total : undefined);
        throw new TransientError(new NetworkError(`Restarting ${this.#file.path} from its first byte: ${problem}.`));
      }
    } else if (response.status === 416) {
      await response.body?.cancel();
      const total = parseContentRange(response.headers.get('content-range'))?.total ?? null;
      // Everything is here already (this resume only confirms the end), unless the server's file has another size.
      if (this.#rec.size !== null && offset === this.#rec.size && (total === null || total === offset)) return;
      await this.#restart('the server refused the range');
      throw new TransientError(new NetworkError(`${this.#url} refused the range request (416); restarting the file.`));
    } else {
      // 200: the whole file from byte 0 (the server ignores Range, or If-Range found the file changed).
      if (offset > 0) await this.#restart('the server answered the Range request with the whole file');
      total = contentLength(response);
      const { etag, lastModified } = validatorsOf(response);
      delete this.#rec.etag;
      delete this.#rec.lastModified;
      if (etag) this.#rec.etag = etag;
      if (lastModified) this.#rec.lastModified = lastModified;
    }
    this.#checkSize(total);
    if (!response.body) throw new TransientError(new NetworkError(`${this.#url} answered without a body.`));
    await this.#stream(response.body);
  }

  /** A size the server announced: checked against the manifest, else it becomes the size to reach. */
  #checkSize(total: number | null): void {
    const expected = this.#file.size;
    if (expected !== undefined && total !== null && total !== expected) {
      throw new IntegrityError(
        `${this.#url} is ${total} bytes but the model's manifest.json says ${expected}: the server has another version of ${this.#file.path} than the manifest describes. ` +
          'Regenerate the manifest with tools/make-manifest.ts, or report it to the model\'s publisher.',
      );
    }
    if (expected === undefined && total !== null) this.#rec.size = total;
  }

  async #stream(body: ReadableStream<Uint8Array>): Promise<void> {
    const { progress, signal } = this.#ctx;
    const reader = body.getReader();
    try {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          if (signal?.aborted || isAbort(error)) throw cancelled();
          const size = this.#rec.size !== null ? ` of ${formatBytes(this.#rec.size)}` : '';
          throw new TransientError(new NetworkError(`The connection to ${this.#url} broke at ${formatBytes(this.#offset)}${size}.`));
        }
        if (result.done) break;
        progress.fetched(result.value.length);
        await this.#accept(result.value);
        progress.download(this.#file.path, this.#offset, this.#rec.size);
      }
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
    if (this.#rec.size !== null && this.#offset < this.#rec.size) {
      throw new TransientError(new NetworkError(`${this.#url} ended early, at ${formatBytes(this.#offset)} of ${formatBytes(this.#rec.size)}.`));
    }
    if (this.#rec.size !== null && this.#offset > this.#rec.size) {
      // More bytes than announced (a HEAD size, then a close-delimited body of another version).
      const problem = `the server sent ${this.#offset} bytes of a file announced as ${this.#rec.size}`;
      await this.#restart(problem, true, null);
      throw new TransientError(new NetworkError(`Restarting ${this.#file.path} from its first byte: ${problem}.`));
    }
  }

  /** Copies network bytes into the chunk buffer, committing every full chunk. */
  async #accept(bytes: Uint8Array): Promise<void> {
    const { chunkSize } = this.#ctx;
    for (let pos = 0; pos < bytes.length; ) {
      let buffer = this.#buffers[this.#current];
      if (!buffer || (this.#fill === buffer.length && buffer.length < chunkSize)) {
        // Small files get a buffer of their size; grow when a server sends more than it announced.
        const remaining = this.#rec.size !== null ? this.#rec.size - this.#rec.storedBytes - this.#pendingBytes : chunkSize;
        const grown = new Uint8Array(Math.min(chunkSize, Math.max(remaining, this.#fill + bytes.length - pos, (buffer?.length ?? 0) * 2)));
        if (buffer) grown.set(buffer.subarray(0, this.#fill));
        buffer = this.#buffers[this.#current] = grown;
      }
      const n = Math.min(buffer.length - this.#fill, bytes.length - pos);
      const piece = bytes.subarray(pos, pos + n);
      buffer.set(piece, this.#fill);
      // Hash as the bytes arrive, so hashing overlaps the network instead of stalling it per chunk.
      this.#hasher.update(piece);
      this.#fill += n;
      pos += n;
      if (!this.#sniffed && this.#rec.storedBytes === 0 && this.#pendingBytes === 0 && this.#fill >= SNIFF_BYTES) this.#sniff();
      if (this.#fill === chunkSize) await this.#flush();
    }
  }

  #sniff(): void {
    const buffer = this.#buffers[this.#current];
    checkFileStart(this.#file.path, buffer ? buffer.subarray(0, this.#fill) : new Uint8Array(0), this.#url, this.#rec.size ?? undefined);
    this.#sniffed = true;
  }

  /** Starts committing the filled buffer (after the previous commit finished) and switches buffers. */
  async #flush(): Promise<void> {
    await this.#pending;
    const buffer = this.#buffers[this.#current]!;
    const n = this.#fill;
    // A view of part of a buffer would store the whole buffer (structured clone copies the ArrayBuffer).
    const chunk = n === buffer.length ? buffer : buffer.slice(0, n);
    this.#pendingBytes = n;
    this.#fill = 0;
    this.#current ^= 1;
    // The hasher has taken exactly the bytes up to this chunk's end: its state resumes from there.
    this.#pending = this.#commit(chunk, this.#hasher.save());
    // Keep the rejection for #settle; without this the promise would count as unhandled.
    this.#pending.catch(() => {});
  }

  async #commit(chunk: Uint8Array, hash: Sha256State): Promise<void> {
    const { store, id } = this.#ctx;
    const next: FileRecord = {
      ...this.#rec,
      chunks: [...this.#rec.chunks, await sha256Native(chunk)],
      storedBytes: this.#rec.storedBytes + chunk.length,
      hash,
    };
    // A failed write (quota) ends this download; what was committed before stays consistent.
    await store.commitChunk(id, next, this.#rec.chunks.length, chunk);
    this.#rec = next;
    this.#pendingBytes = 0;
  }

  /** Waits for the pending commit; rethrows its failure (e.g. quota). */
  async #settle(): Promise<void> {
    const pending = this.#pending;
    this.#pending = Promise.resolve();
    await pending;
  }

  /**
   * Discards what is stored of the file. `counted` restarts (the server misbehaves or the file keeps
   * changing) are limited; `size` replaces the expected size when the server announced a new one.
   */
  async #restart(reason: string, counted = true, size: number | null = this.#expectedSize): Promise<void> {
    await this.#settle();
    if (counted && ++this.#restarts > MAX_RESTARTS) {
      throw new NetworkError(`${this.#url} had to be restarted ${MAX_RESTARTS} times (${reason}). The server is unreliable; try again later or use another host.`);
    }
    const { sha256 } = this.#file;
    this.#rec = emptyFileRecord(this.#file.path, this.#ctx.chunkSize, this.#file.size ?? size, sha256);
    await this.#ctx.store.resetFile(this.#ctx.id, this.#rec);
    this.#hasher = new Sha256();
    this.#fill = 0;
    this.#sniffed = false;
  }

  /** After the last byte: store the last chunk, check size and digest, mark the file complete. */
  async #finish(): Promise<FileRecord> {
    const { store, id, progress } = this.#ctx;
    const { path, sha256: expected } = this.#file;
    if (!this.#sniffed && this.#rec.storedBytes === 0 && this.#pendingBytes === 0) this.#sniff();
    if (this.#fill > 0) await this.#flush();
    await this.#settle();
    const size = this.#rec.storedBytes;
    if (this.#rec.size !== null && size !== this.#rec.size && this.#file.size === undefined) {
      throw new TransientError(new NetworkError(`${this.#url} ended at ${formatBytes(size)} of ${formatBytes(this.#rec.size)}.`));
    }
    if (this.#file.size !== undefined && size !== this.#file.size) {
      throw new IntegrityError(`${this.#url} sent ${size} bytes but the manifest says ${this.#file.size}. Regenerate the manifest or report it to the model's publisher.`);
    }
    const digest = this.#hasher.hex();
    if (expected && digest !== expected) {
      await store.resetFile(id, emptyFileRecord(path, this.#ctx.chunkSize, this.#file.size ?? null, expected));
      throw new IntegrityError(
        `${path} failed its integrity check: SHA-256 ${digest.slice(0, 16)}… but the manifest says ${expected.slice(0, 16)}…. ` +
          'The download was corrupted or the server has another version; the bad copy was discarded, so downloading again starts it afresh.',
      );
    }
    const { hash: _done, ...rest } = this.#rec;
    const complete: FileRecord = { ...rest, size, sha256: digest, complete: true };
    await store.putFile(id, complete);
    progress.download(path, size, size, true);
    progress.verify(path, size, size);
    return complete;
  }
}

/**
 * Re-fetches stored chunk `index` of a complete file by Range and checks it against the digest
 * recorded at download time. Throws IntegrityError when the server's bytes differ.
 */
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

/** Stores bytes already in memory (a small file such as manifest.json) as a complete file. */
export async function storeBytes(store: ChunkStore, id: string, path: string, bytes: Uint8Array, chunkSize: number): Promise<FileRecord> {
  let record = emptyFileRecord(path, chunkSize, bytes.length);
  await store.resetFile(id, record);
  const hasher = new Sha256();
  for (let index = 0; index * chunkSize < bytes.length; index++) {
    const chunk = bytes.slice(index * chunkSize, (index + 1) * chunkSize);
    hasher.update(chunk);
    record = { ...record, chunks: [...record.chunks, await sha256Native(chunk)], storedBytes: record.storedBytes + chunk.length };
    await store.commitChunk(id, record, index, chunk);
  }
  const complete: FileRecord = { ...record, sha256: hasher.hex(), complete: true };
  await store.putFile(id, complete);
  return complete;
}
