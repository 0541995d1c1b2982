/**
 * Storage quota: check before downloading, ask for persistence, and turn the browser's
 * QuotaExceededError DOMException into the project's QuotaExceededError with the sizes involved.
 *
 * Browsers grant an origin a share of the disk (Chromium: up to 60%; Safari: ~1 GB before asking;
 * private windows: far less) and may evict non-persistent storage under pressure, which is why
 * `persist()` is requested before a 2 GB download.
 */
import { QuotaExceededError } from '../core/errors.js';
import { formatBytes } from '../core/format-bytes.js';
import { defaultStorage } from '../core/storage-estimate.js';

/** Room kept free besides the model's own bytes: IndexedDB's per-value overhead and other data. */
export const QUOTA_MARGIN_BYTES = 16 * 1024 * 1024;

const ADVICE = "Free space by deleting stored models you no longer use or clearing this site's data; private windows allow much less storage.";

/** Throws QuotaExceededError when `neededBytes` more will not fit; does nothing where estimate() is unavailable. */
export async function checkQuota(neededBytes: number, what: string, storage = defaultStorage()): Promise<void> {
  if (!storage || neededBytes <= 0) return;
  let estimate: { usage?: number; quota?: number };
  try {
    estimate = await storage.estimate();
  } catch {
    return; // Some browsers refuse estimate() in some contexts; the writes will tell.
  }
  const { usage = 0, quota } = estimate;
  if (quota === undefined) return;
  const free = Math.max(0, quota - usage);
  if (neededBytes + QUOTA_MARGIN_BYTES > free) {
    throw new QuotaExceededError(
      `Storing ${what} needs ${formatBytes(neededBytes)} but the browser allows this site only ${formatBytes(free)} more ` +
        `(${formatBytes(usage)} of ${formatBytes(quota)} used). ${ADVICE}`,
    );
  }
}

/** Asks the browser not to evict our data under storage pressure; returns whether it agreed. */
export async function requestPersistence(storage = defaultStorage()): Promise<boolean> {
  try {
    if (await storage?.persisted?.()) return true;
    return (await storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

/** Whether `error` is the browser's quota error (DOMException "QuotaExceededError", Firefox's older name, or code 22). */
export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string; code?: number } | null;
  return !!e && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22);
}

/** Maps a quota DOMException to our QuotaExceededError with sizes; returns other errors unchanged. */
export async function translateQuotaError(
  error: unknown,
  context: { what: string; storedBytes: number; totalBytes: number },
  storage = defaultStorage(),
): Promise<unknown> {
  if (!isQuotaError(error) || error instanceof QuotaExceededError) return error;
  let usage = '';
  try {
    const { usage: used, quota } = (await storage?.estimate()) ?? {};
    if (used !== undefined && quota !== undefined) usage = ` (${formatBytes(used)} of ${formatBytes(quota)} used)`;
  } catch {
    // keep the message without usage numbers
  }
  return new QuotaExceededError(
    `The browser ran out of storage for ${context.what} after ${formatBytes(context.storedBytes)} of ${formatBytes(context.totalBytes)}${usage}. ` +
      `What was stored is kept and the download continues from there once there is room. ${ADVICE}`,
  );
}
