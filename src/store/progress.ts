/**
 * Weight-store progress as a typed union (tag: `stage`), and the tracker that computes overall bytes,
 * rate and ETA. Rate is measured over a sliding window of the last few seconds and counts only
 * bytes fetched in this session (bytes resumed from storage do not inflate it).
 */

import type { DownloadProgress } from '../engine/ports.js';

/** The engine's DownloadProgress port, which the store reports. */
export type StoreProgress = DownloadProgress;

export type ProgressCallback = (progress: StoreProgress) => void;

const WINDOW_MS = 5000;

export class ProgressTracker {
  readonly #id: string;
  readonly #emit: ProgressCallback;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #total: number | null;
  /** Bytes of files finished or stored before this file, plus this file's. */
  #doneBefore = 0;
  #fetched = 0;
  #samples: { t: number; bytes: number }[] = [];
  #lastEmit = -Infinity;

  constructor(id: string, total: number | null, emit: ProgressCallback = () => {}, intervalMs = 100, now = () => performance.now()) {
    this.#id = id;
    this.#total = total;
    this.#emit = emit;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  get loadedBefore(): number {
    return this.#doneBefore;
  }

  /** A file is finished (or was already stored): its bytes count as loaded. */
  fileDone(size: number): void {
    this.#doneBefore += size;
  }

  /** Bytes arrived from the network (for the rate). */
  fetched(bytes: number): void {
    this.#fetched += bytes;
  }

  /** The model's size, once the plan knows it (null: unknown). */
  setTotal(total: number | null): void {
    this.#total = total;
  }

  bytesPerSecond(): number {
    const t = this.#now();
    this.#samples.push({ t, bytes: this.#fetched });
    while (this.#samples.length > 2 && t - this.#samples[1]!.t > WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0]!;
    const dt = (t - first.t) / 1000;
    return dt > 0 ? (this.#fetched - first.bytes) / dt : 0;
  }

  /** Reports a file's progress; throttled to one event per interval unless `force`. */
  download(file: string, fileLoaded: number, fileTotal: number | null, force = false): void {
    const t = this.#now();
    if (!force && t - this.#lastEmit < this.#intervalMs) return;
    this.#lastEmit = t;
    const loaded = this.#doneBefore + fileLoaded;
    const bytesPerSecond = this.bytesPerSecond();
    const total = this.#total ?? 0;
    const etaSeconds = total > 0 && bytesPerSecond > 0 ? Math.max(0, total - loaded) / bytesPerSecond : null;
    this.#emit({ stage: 'download', id: this.#id, file, fileLoaded, fileTotal: fileTotal ?? 0, loaded, total, bytesPerSecond, etaSeconds });
  }

  verify(file: string, fileLoaded: number, fileTotal: number): void {
    const loaded = this.#doneBefore + fileLoaded;
    this.#emit({ stage: 'verify', id: this.#id, file, fileLoaded, fileTotal, loaded, total: this.#total ?? loaded });
  }

  emit(progress: StoreProgress): void {
    this.#emit(progress);
  }
}
