/**
 * A model folder read straight over HTTP, file by file, with nothing stored (for Node, tests, and
 * pages that do not want to keep the weights). Same errors as the weight store: missing files,
 * CORS, and responses that are not the file (HTML pages, git-lfs pointers, non-ONNX bytes).
 */
import type { ModelSource } from '../engine/model/model-source.js';
import { checkFileStart } from './file-format.js';
import { DEFAULT_RETRY, fetchChecked, withRetry, type FetchLike, type RetryOptions } from './http.js';
import { fileUrl, modelNameFromUrl, normaliseModelUrl } from '../engine/model/model-url.js';
import { ModelFileMissingError } from '../core/errors.js';

export class HttpModelSource implements ModelSource {
  readonly name: string;
  readonly baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #retry: RetryOptions;

  constructor(baseUrl: string, options: { fetch?: FetchLike; retry?: Partial<RetryOptions>; name?: string } = {}) {
    this.baseUrl = normaliseModelUrl(baseUrl);
    this.name = options.name ?? modelNameFromUrl(this.baseUrl);
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  async has(path: string): Promise<boolean> {
    try {
      const response = await fetchChecked(this.#fetch, fileUrl(this.baseUrl, path), path, { method: 'HEAD' });
      return !(response.headers.get('content-type') ?? '').includes('text/html');
    } catch (error) {
      if (error instanceof ModelFileMissingError) return false;
      throw error;
    }
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const url = fileUrl(this.baseUrl, path);
    const bytes = await withRetry(
      async () => new Uint8Array(await (await fetchChecked(this.#fetch, url, path)).arrayBuffer()),
      this.#retry,
      undefined,
      () => {},
    );
    checkFileStart(path, bytes.subarray(0, 64), url, bytes.length);
    return bytes;
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }
}
