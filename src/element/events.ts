/**
 * The events <sd-text-to-image> dispatches. All are `CustomEvent`s that bubble and are composed (they
 * cross shadow roots), so a page can listen on the element or on any ancestor, with typed `detail`s:
 *
 *   el.addEventListener('sd-complete', (e) => download(e.detail.blob)); // e: CustomEvent<SdCompleteDetail>
 *
 * Order within one generate(): sd-progress (weight store, then model load stages), then per sampler
 * step one sd-progress followed by its sd-preview (when previews are on), one sd-progress 'decode',
 * then exactly one of sd-complete or sd-error.
 */
import type { EngineProgress } from '../engine/events.js';
import type { ResolvedRequest } from '../engine/request/request.js';
import { formatProgress } from '../protocol/progress-text.js';

export interface SdProgressDetail {
  /** Weight store: 'download' | 'retry' | 'verify' | 'repair' | 'done'; then 'load', 'denoise', 'decode'. */
  stage: EngineProgress['stage'];
  /** How far the stage is: bytes (download, verify), model parts (load), sampler steps (denoise: k of N as diffusers' progress bar counts, not UNet calls), attempts (retry). */
  step: number;
  /** What `step` counts up to; 0 when unknown. */
  total: number;
  /** The engine's full progress record (rates, ETA, file names). */
  progress: EngineProgress;
}

export interface SdPreviewDetail {
  step: number;
  total: number;
  /** 'latent': a cheap colour projection at latent resolution (1/8 size); 'tiny': the tiny decoder's full-size picture (models with taesd_decoder/); 'vae': a full decode. */
  kind: 'latent' | 'tiny' | 'vae';
  width: number;
  height: number;
  /** The preview. It is closed once the listeners return: draw it then, or keep a copy with createImageBitmap(bitmap). */
  bitmap: ImageBitmap;
}

export interface SdCompleteDetail {
  /** The PNG, with the AUTOMATIC1111 `parameters` text chunk. */
  blob: Blob;
  width: number;
  height: number;
  /** What was generated, every default filled in (diffusers' names), including the seed that was used: with `model`, it reproduces the image. */
  request: ResolvedRequest;
  /** The model's name (its folder). */
  model: string;
}

export interface SdErrorDetail {
  /** The error class: 'InvalidRequestError', 'NetworkError', 'WebGpuUnavailableError', 'CancelledError' (after cancel()), … */
  name: string;
  message: string;
}

export interface SdEventDetails {
  'sd-progress': SdProgressDetail;
  'sd-preview': SdPreviewDetail;
  'sd-complete': SdCompleteDetail;
  'sd-error': SdErrorDetail;
}

export type SdEventMap = { [K in keyof SdEventDetails]: CustomEvent<SdEventDetails[K]> };

declare global {
  // Typed listeners: addEventListener('sd-complete', (e) => e.detail.blob) type-checks on any element.
  interface HTMLElementEventMap extends SdEventMap {}
}

/** A bubbling, composed CustomEvent of one of the element's types. */
export function sdEvent<K extends keyof SdEventDetails>(type: K, detail: SdEventDetails[K]): CustomEvent<SdEventDetails[K]> {
  return new CustomEvent(type, { detail, bubbles: true, composed: true });
}

/** The engine's progress union, flattened to stage / step / total (protocol/progress-text.ts). */
export function progressDetail(progress: EngineProgress): SdProgressDetail {
  const { step, total } = formatProgress(progress);
  return { stage: progress.stage, step, total, progress };
}
