/** The img2img / inpainting reference cases (fixtures/img2img/<set>/manifest.json) and their bounds; see src/engine/img2img.test.ts. */
import type { SchedulerName } from '../core/schedulers/scheduler.js';

export interface Img2ImgCase {
  id: string;
  mode: 'img2img' | 'inpaint';
  init: string;
  prompt: string;
  negative_prompt?: string | null;
  scheduler: SchedulerName;
  steps: number;
  strength: number;
  guidance: number;
  seed: number;
  init_image: string;
  mask_image?: string;
  image: string;
  latents: string;
}

/** The bounds, or the encoder-limited ones for cases starting from init_A (why: src/engine/img2img.test.ts). */
export function boundsFor(c: Img2ImgCase): { latents: number; image: number } {
  return c.init === 'A' ? { latents: 1e-3, image: 5e-3 } : { latents: 1e-4, image: 2e-3 };
}

