/**
 * The words of the "Stored models" panel: what each stored model is (size, complete or partial),
 * what the browser's storage estimate says, and the question asked before a delete. Pure: no DOM,
 * no engine; sizes through the weight store's `formatBytes` (binary units, as the downloads show).
 */
import type { StoredModelInfo } from '../engine/ports.js';
import { formatBytes } from '../core/format-bytes.js';

export interface StoredModelView {
  name: string;
  url: string;
  /** "30.8 MiB", or "12.0 MiB of 30.8 MiB (39%)" for a partial download. */
  size: string;
  /** "Complete" or what happens to a partial download. */
  status: string;
  complete: boolean;
}

export function describeStoredModel(model: StoredModelInfo, inUse = false): StoredModelView {
  const { name, url, complete, sizeBytes, totalBytes } = model;
  let size = formatBytes(sizeBytes);
  if (!complete) {
    size = totalBytes ? `${size} of ${formatBytes(totalBytes)} (${Math.floor((100 * sizeBytes) / totalBytes)}%)` : `${size} so far`;
  }
  const status = complete ? `Complete${inUse ? ', in use' : ''}` : 'Partly downloaded: the rest downloads the next time it loads';
  return { name, url, size, status, complete };
}

/** Bytes the listed models hold, partial downloads included. */
export function totalStoredBytes(models: readonly StoredModelInfo[]): number {
  return models.reduce((sum, model) => sum + model.sizeBytes, 0);
}

/** "2 models stored, 1.03 GiB." */
export function summariseStoredModels(models: readonly StoredModelInfo[]): string {
  if (models.length === 0) return 'No models stored yet.';
  return `${models.length} model${models.length === 1 ? '' : 's'} stored, ${formatBytes(totalStoredBytes(models))}.`;
}

/** One sentence from `navigator.storage.estimate()`; null when the browser gives no numbers. */
export function describeStorageEstimate(estimate: { usage?: number; quota?: number } | null): string | null {
  if (!estimate || estimate.usage === undefined) return null;
  // The browser's own figures: usage counts the whole site (gallery too) and may trail a write or a delete.
  const { usage, quota } = estimate;
  const used = `The browser reports ${formatBytes(usage)} used by this site`;
  return quota === undefined ? `${used}.` : `${used}, ${formatBytes(Math.max(0, quota - usage))} more available.`;
}

/** The question before deleting; says what happens to a model that is in use. */
export function deleteQuestion(model: StoredModelInfo, inUse: boolean): string {
  const what = `Delete ${model.name} (${formatBytes(model.sizeBytes)}) from this browser's storage?`;
  return inUse
    ? `${what} It is in use and stays loaded until you reload the page or switch models; loading it after that downloads it again.`
    : `${what} Loading it again downloads it again.`;
}
