/**
 * Downloads one file of a model folder into the ChunkStore (chunk-writer.ts does the storing and
 * hashing), with resume and retries.
 *
 * - Resume: each chunk is stored together with the file record listing its digest and the
 *   whole-file hasher's state, so an interrupted download (network drop, reload, closed tab)
 *   continues with `Range: bytes=<stored>-`. Within one session a retry continues from the exact
 *   byte where the connection broke (the partial chunk is still in memory).
 * - One version of the file (RFC 9110 validators, validators.ts): every resume sends `If-Range` with
 *   the strong ETag or Last-Modified the first response carried. The stored part is kept only when
 *   the 206 carries the same validators and the same total size (`Content-Range: bytes N-M/TOTAL`);
 *   otherwise, and on a 200 (the server ignores Range, or If-Range found the file changed), the
 *   file starts again from byte 0. Without a validator a stored part cannot be tied to the
 *   server's current file, so it is not resumed at all unless the manifest's SHA-256 will check it.
 *   Every resume also asks again for the RESUME_OVERLAP bytes before the resume point and compares
 *   them with those held: a file replaced under the same validators starts again from byte 0
 *   (unless the versions agree there; only a manifest digest catches that).
 * - Size: the expected size (manifest, HEAD probe, Content-Length, Content-Range total) must be
 *   reached exactly; a body that ends early (also a close-delimited one without Content-Length)
 *   leaves the file partial and is resumed. Except for JSON and text on a 200: their Content-Length
 *   may be the compressed size (cross-origin the browser hides Content-Encoding), so the bytes a
 *   normally ended body delivers are the file.
 * - Integrity: the whole-file SHA-256 is checked against the manifest when there is one, and
 *   recorded otherwise; the file record is marked complete only after that.
 */
import { IntegrityError, NetworkError } from '../core/errors.js';
import type { ChunkStore } from './chunk-store.js';
import { ChunkWriter } from './chunk-writer.js';
import { checkFileStart } from './file-format.js';
import {
  backoffDelay,
  cancelled,
  contentLength,
  fetchChecked,
  isAbort,
  mayBeContentEncoded,
  parseContentRange,
  sleep,
  TransientError,
  type FetchLike,
  type RetryOptions,
} from './http.js';
import type { ModelFile } from './model-files.js';
import { fileUrl } from '../engine/model/model-url.js';
import type { ProgressTracker } from './progress.js';
import { formatBytes } from '../core/format-bytes.js';
import { emptyFileRecord, type FileRecord } from './records.js';
import { ifRangeValidator, rangeProblem, validatorsOf } from './validators.js';

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

/** Bytes before the resume point that a resume asks for again and compares with those stored (issue 25, item 2). */
export const RESUME_OVERLAP = 64 * 1024;

/** How often one file may restart from byte 0 (server without Range support) before we give up. */
const MAX_RESTARTS = 3;

/**
 * Downloads `file` unless it is already complete; returns its complete record. `probedSize` is
 * the size a HEAD request reported this session (the file must reach it unless a later response
 * gives another).
 */
export async function downloadFile(ctx: DownloadContext, file: ModelFile, probedSize: number | null = null): Promise<FileRecord> {
  const { store, id, chunkSize } = ctx;
  const { path, sha256 } = file;
  const stored = await store.getFile(id, path);
  if (stored?.complete && (!sha256 || stored.sha256 === sha256)) return stored;
  const expected = file.size ?? probedSize;
  let record: FileRecord;
  if (
    stored &&
    !stored.complete &&
    stored.chunkSize === chunkSize &&
    stored.expectedSha256 === sha256 &&
    (expected === null || stored.size === null || stored.size === expected) &&
    (stored.storedBytes === 0 || sha256 !== undefined || ifRangeValidator(stored) !== undefined)
  ) {
    record = stored;
    if (stored.size === null && expected !== null) record.size = expected;
  } else {
    // New file; a different chunk size or manifest than the stored part was made with; a size
    // that changed on the server since; or a part that no validator ties to the server's file.
    record = emptyFileRecord(path, chunkSize, expected, sha256);
    await store.resetFile(id, record);
  }
  return new FileDownload(ctx, file, expected, record).run();
}

class FileDownload {
  readonly #ctx: DownloadContext;
  readonly #file: ModelFile;
  readonly #url: string;
  readonly #writer: ChunkWriter;
  #restarts = 0;
  /**
   * The record's size is only the Content-Length of a 200 that may be compressed (JSON, text): a
   * hint for buffers and progress, while the bytes the body delivers are the file.
   */
  #sizeIsHint = false;
  /** The size expected before any GET: the manifest's, else this session's HEAD. */
  readonly #expectedSize: number | null;

  constructor(ctx: DownloadContext, file: ModelFile, expectedSize: number | null, record: FileRecord) {
    this.#ctx = ctx;
    this.#file = file;
    this.#url = fileUrl(ctx.baseUrl, file.path);
    this.#expectedSize = expectedSize;
    this.#writer = new ChunkWriter(ctx.store, ctx.id, ctx.chunkSize, record, (head) => checkFileStart(file.path, head, this.#url, this.#rec.size ?? undefined));
  }

  get #rec(): FileRecord {
    return this.#writer.record;
  }

  get #offset(): number {
    return this.#writer.offset;
  }

  async run(): Promise<FileRecord> {
    const { id, retry, signal, progress } = this.#ctx;
    const { path } = this.#file;
    progress.download(path, this.#offset, this.#rec.size, true);

    for (let failures = 0, reached = this.#offset; ; ) {
      try {
        await this.#request();
        return await this.#finish();
      } catch (error) {
        await this.#writer.settle();
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
    // The bytes just before the resume point are asked for again and compared with those held: a
    // file replaced under the same validators (size+mtime ETags after an mtime-preserving copy) is
    // then caught, unless the two versions agree there.
    const overlap = offset > 0 ? await this.#writer.tail(Math.min(RESUME_OVERLAP, offset)) : new Uint8Array(0);
    const from = offset - overlap.length;
    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers.Range = `bytes=${from}-`;
      if (validator !== undefined) headers['If-Range'] = validator;
    }
    const init: RequestInit = { headers, cache: 'no-store' };
    if (signal) init.signal = signal;
    const response = await fetchChecked(fetch, this.#url, this.#file.path, init);
    let total: number | null;
    if (response.status === 206) {
      this.#sizeIsHint = false;
      const range = parseContentRange(response.headers.get('content-range'));
      const length = contentLength(response);
      total = range?.total ?? (range && length !== null ? range.start + length : null);
      if (this.#file.size !== undefined) this.#checkSize(total);
      const problem = rangeProblem(this.#rec, response, { start: range?.start, from, total, checkValidators: !this.#file.sha256 });
      if (problem) {
        await response.body?.cancel();
        await this.#restart(problem, true, total !== null && range?.start === from ? total : undefined);
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
      if (total !== null && mayBeContentEncoded(this.#file.path)) {
        // Cross-origin, Content-Encoding may be hidden: this may be the compressed size. A 200 with a
        // Content-Length that ends normally is complete (fetch fails a body cut short of it), so the
        // bytes received are the file; the manifest's size, when there is one, is still checked at the end.
        if (this.#file.size === undefined) this.#rec.size = total;
        this.#sizeIsHint = this.#file.size === undefined;
        total = null;
      }
      const { etag, lastModified } = validatorsOf(response);
      delete this.#rec.etag;
      delete this.#rec.lastModified;
      if (etag) this.#rec.etag = etag;
      if (lastModified) this.#rec.lastModified = lastModified;
    }
    this.#checkSize(total);
    if (!response.body) throw new TransientError(new NetworkError(`${this.#url} answered without a body.`));
    await this.#stream(response.body, response.status === 206 ? overlap : new Uint8Array(0));
  }

  /** A size the server announced: checked against the manifest, else it becomes the size to reach. */
  #checkSize(total: number | null): void {
    const expected = this.#file.size;
    if (expected !== undefined && total !== null && total !== expected) {
      throw new IntegrityError(
        `${this.#url} is ${total} bytes but the model's manifest.json says ${expected}: the server has another version of ${this.#file.path} than the manifest describes. ` +
          "Regenerate the manifest with tools/make-manifest.ts, or report it to the model's publisher.",
      );
    }
    if (expected === undefined && total !== null) this.#rec.size = total;
  }

  /** Reads the body into the writer; its first `overlap.length` bytes must equal `overlap` (the bytes held before the resume point). */
  async #stream(body: ReadableStream<Uint8Array>, overlap: Uint8Array): Promise<void> {
    const { progress, signal } = this.#ctx;
    const reader = body.getReader();
    let matched = 0;
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
        let bytes = result.value;
        if (matched < overlap.length) {
          const n = Math.min(overlap.length - matched, bytes.length);
          if (!equalBytes(bytes.subarray(0, n), overlap.subarray(matched, matched + n))) {
            const problem = 'the file changed on the server (the bytes before the resume point differ from those stored)';
            await this.#restart(problem);
            throw new TransientError(new NetworkError(`Restarting ${this.#file.path} from its first byte: ${problem}.`));
          }
          matched += n;
          bytes = bytes.subarray(n);
        }
        await this.#writer.accept(bytes);
        progress.download(this.#file.path, this.#offset, this.#rec.size);
      }
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
    if (matched < overlap.length) throw new TransientError(new NetworkError(`${this.#url} ended before the resume point.`));
    if (this.#sizeIsHint) return;
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

  /**
   * Discards what is stored of the file. `counted` restarts (the server misbehaves or the file keeps
   * changing) are limited; `size` replaces the expected size when the server announced a new one.
   */
  async #restart(reason: string, counted = true, size: number | null = this.#expectedSize): Promise<void> {
    await this.#writer.settle();
    if (counted && ++this.#restarts > MAX_RESTARTS) {
      throw new NetworkError(
        `${this.#url} had to be restarted ${MAX_RESTARTS} times (${reason}). The server is unreliable; try again later or use another host.`,
      );
    }
    this.#sizeIsHint = false;
    await this.#writer.reset(emptyFileRecord(this.#file.path, this.#ctx.chunkSize, this.#file.size ?? size, this.#file.sha256));
  }

  /** After the last byte: store the last chunk, check size and digest, mark the file complete. */
  async #finish(): Promise<FileRecord> {
    const { store, id, progress } = this.#ctx;
    const { path, sha256: expected } = this.#file;
    await this.#writer.close();
    const size = this.#rec.storedBytes;
    if (this.#rec.size !== null && size !== this.#rec.size && this.#file.size === undefined && !this.#sizeIsHint) {
      throw new TransientError(new NetworkError(`${this.#url} ended at ${formatBytes(size)} of ${formatBytes(this.#rec.size)}.`));
    }
    if (this.#file.size !== undefined && size !== this.#file.size) {
      throw new IntegrityError(
        `${this.#url} sent ${size} bytes but the manifest says ${this.#file.size}. Regenerate the manifest or report it to the model's publisher.`,
      );
    }
    const digest = this.#writer.hex();
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

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
