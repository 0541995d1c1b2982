/**
 * Events the app dispatches on `document` as it works, typed by name: what the page shows, as data.
 * Browser tests listen to them (previews before the image, state changes); so could an embedding page.
 * The current state is also mirrored on `<body data-state>`.
 */
import type { RunState } from './progress-view.js';
import type { LoadedModel } from '../engine/engine.js';

export interface AppEventMap {
  'sd-app:state': { state: RunState; message: string };
  'sd-app:preview': { step: number; totalSteps: number; kind: 'latent' | 'tiny' | 'vae'; batchIndex: number };
  'sd-app:image': { seed: number | null; batchIndex: number; width: number; height: number };
  /** The safety checker withheld a picture: nothing of it is shown or stored. */
  'sd-app:withheld': { seed: number | null; batchIndex: number };
  'sd-app:model-loaded': { id: string; backend: LoadedModel['backend']; precision: 'fp16' | 'fp32' };
  'sd-app:restored': { source: 'gallery' | 'png'; notes: string[] };
  /** A picture to start from was decoded and shown (its size is the output's). */
  'sd-app:picture': { width: number; height: number };
  /** The inpainting mask after a stroke, clear or invert: how many pixels are to be repainted. */
  'sd-app:mask': { width: number; height: number; painted: number };
}

export function emitAppEvent<K extends keyof AppEventMap>(type: K, detail: AppEventMap[K], target: EventTarget = document): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
