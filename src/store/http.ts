/**
 * fetch with errors that say what happened, and retries with exponential backoff.
 *
 * What a failed fetch means: a TypeError from fetch() is a CORS refusal, an unreachable server
 * or an offline browser (the browser does not tell which); 404/410 is a missing file;
 * 401/403 a private or gated repository; 408/429/5xx are worth retrying.
 */
import { CancelledError, ModelFileMissingError, NetworkError, type SdError } from '../core/errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RetryOptions {
  /** Attempts after a failure before giving up (each resets once bytes arrive again). */
  attempts: number;
  /** First backoff delay; doubles per attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };

/** Deterministic exponential backoff (no jitter: the engine never calls Math.random). */
export function backoffDelay(attempt: number, retry: RetryOptions): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
}

/** A failure worth retrying; `error` is what the caller throws once retries are spent. */
export class TransientError extends Error {
  constructor(readonly error: SdError) {
    super(error.message);
  }
}

export const cancelled = () => new CancelledError('The download was cancelled. What was stored is kept; downloading again continues from there.');

export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  return !!signal?.aborted || (error as { name?: string } | null)?.name === 'AbortError';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function offline(): boolean {
  return (globalThis.navigator as { onLine?: boolean } | undefined)?.onLine === false;
}

/** The error for a fetch() that threw (no HTTP response at all); transient, since servers come back. */
export function unreachable(url: string, cause: unknown): TransientError {
  if (offline())
    return new TransientError(new NetworkError(`Could not fetch ${url}: the browser is offline. Reconnect and try again; stored models still work offline.`));
  const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
  return new TransientError(
    new NetworkError(
      `Could not fetch ${url}${detail}: the server is unreachable or refused the request for this page (CORS). ` +
        'If the URL opens in a browser tab, the server does not send Access-Control-Allow-Origin: enable CORS on it, use a host that sends it (Hugging Face does), or bundle the model with the app.',
    ),
  );
}

/** Throws the error an HTTP status means, or returns for 2xx and 416 (the caller handles ranges). */
export function checkStatus(response: Response, url: string, path: string): void {
  const { status } = response;
  if (response.ok || status === 416) return;
  if (status === 404 || status === 410) {
    throw new ModelFileMissingError(
      `${path} is missing: ${url} answered ${status}. Check that the URL points at a diffusers ONNX model folder (the one holding model_index.json) and that the file was uploaded.`,
    );
  }
  if (status === 401 || status === 403) {
    throw new NetworkError(`${url} refused access (${status}): the model is private or gated. Use a public copy of the model, or host the files yourself.`);
  }
  const error = new NetworkError(`${`${url} answered ${status} ${response.statusText}`.trim()}. The server has a problem; try again later.`);
  if (status === 408 || status === 429 || status >= 500) throw new TransientError(error);
  throw error;
}

/** fetch + status check. Throws CancelledError, ModelFileMissingError, NetworkError or TransientError. */
export async function fetchChecked(fetchFn: FetchLike, url: string, path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFn(url, init);
  } catch (error) {
    if (isAbort(error, init.signal ?? undefined)) throw cancelled();
    throw unreachable(url, error);
  }
  checkStatus(response, url, path);
  return response;
}

/** Runs `attempt` until it succeeds, retrying TransientErrors with backoff; `onRetry` reports each wait. */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  retry: RetryOptions,
  signal: AbortSignal | undefined,
  onRetry: (attempt: number, delayMs: number, reason: string) => void,
): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (failures >= retry.attempts) throw error.error;
      const delay = backoffDelay(failures, retry);
      onRetry(failures + 1, delay, error.message);
      await sleep(delay, signal);
    }
  }
}

/** Parses `Content-Range: bytes START-END/TOTAL` ("*" total → null). */
export function parseContentRange(header: string | null): { start: number; end: number; total: number | null } | null {
  const match = header && /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}

/** A size from Content-Length, when the body is not content-encoded (then it would be the compressed size). */
export function contentLength(response: Response): number | null {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return null;
  const value = response.headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Whether servers may send this file compressed (Content-Encoding: gzip, br): JSON and text, as
 * Hugging Face and most CDNs do. Cross-origin the browser hides Content-Encoding unless the server
 * exposes it, so such a file's Content-Length may be its compressed size and is not its size.
 */
export function mayBeContentEncoded(path: string): boolean {
  return /\.(json|txt)$/i.test(path);
}
