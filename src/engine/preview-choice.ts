/**
 * Which picture a sampler step's preview is, from the caller's choice and what the model folder has:
 *   'tiny'   the tiny autoencoder's full-size decode (taesd_decoder/, tiny-autoencoder.ts) when the model has
 *            it, else the cheap latent projection: the default, so a model with the part previews real pictures
 *   'latent' the cheap linear projection of the latents at latent size (core/latent-preview.ts)
 *   'none'   no step previews (a full VAE decode every N steps, vaeDecodeEvery, is separate and still runs)
 * `every`: a preview every N sampler steps (previewEvery; default 1).
 * A tiny preview's cost against a step depends on the model and backend (README, *The tiny autoencoder*:
 * SD v1.4's UNet step dwarfs it; shapes-sd's small UNet on wasm does not), so tiny previews keep within a
 * budget instead of a fixed interval: a step is previewed when the previews so far took at most `budget`
 * (default 10%) of the loop's own time. The first step always is; on a fast preview every step is; on a slow
 * one every Nth, N found as the loop runs.
 */
export type PreviewChoice = 'tiny' | 'latent' | 'none';
export const PREVIEW_CHOICES: readonly PreviewChoice[] = ['tiny', 'latent', 'none'];

/** The share of the loop's time tiny previews may take by default (the "about 10%"). */
export const PREVIEW_BUDGET = 0.1;

export interface PreviewPlan {
  kind: 'tiny' | 'latent' | null;
  every: number;
}

export function previewPlan(choice: PreviewChoice, hasTinyDecoder: boolean, previewEvery = 1): PreviewPlan {
  if (choice === 'none' || previewEvery <= 0) return { kind: null, every: 0 };
  return { kind: choice === 'tiny' && hasTinyDecoder ? 'tiny' : 'latent', every: previewEvery };
}

/** Keeps previews within `share` of the loop's time (Infinity: every step). Times in ms, from one clock. */
export class PreviewBudget {
  #previewMs = 0;

  constructor(
    private readonly share: number,
    private readonly started: number,
  ) {}

  /** Whether a preview may be made now: the previews so far took at most `share` of the time spent without them. */
  allows(now: number): boolean {
    if (this.share === Infinity) return true;
    return this.#previewMs <= this.share * (now - this.started - this.#previewMs);
  }

  spent(ms: number): void {
    this.#previewMs += ms;
  }
}
