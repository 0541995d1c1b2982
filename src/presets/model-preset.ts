/** A model as the surfaces offer it: the engine's ModelSpec plus what a picker shows and recommends. */
import { ANY_SD_V1_GEOMETRY, geometry, type ModelGeometry } from '../engine/model/model-geometry.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { ResolvedRequest } from '../engine/request/request.js';

export interface ModelPreset extends ModelSpec {
  label: string;
  description?: string;
  /** Example prompts the UI offers. */
  examplePrompts?: string[];
  /** Settings that suit the model, in the request's vocabulary. */
  recommended?: Pick<ResolvedRequest, 'scheduler' | 'numInferenceSteps' | 'guidanceScale' | 'width' | 'height'>;
  /**
   * The UNet's down-samplings as its unet/config.json says (2 for shapes-sd, 3 for SD v1.4), so the
   * size rule is checked before anything is downloaded; the loaded model's own is checked again.
   */
  unetDownsamplings?: number;
  /** Whether the folder ships the tiny decoder (taesd_decoder/), so `decoder: 'tiny'` is checked before a download; unset: not known. */
  tinyDecoder?: boolean;
  /**
   * The folder is the user's own (e.g. one made with tools/prepare_model.py, since we cannot host
   * SD v1.4's weights): `urls` is empty and the picker asks for the folder's URL with this hint; the
   * preset brings the rest (see modelSpecFor in src/app/model-choice.ts).
   */
  askUrl?: string;
}

/** What requests for `preset` must satisfy before it is loaded (its declared size rule, else every SD v1 model's). */
export function presetGeometry(preset: ModelPreset): ModelGeometry {
  if (preset.unetDownsamplings === undefined) return ANY_SD_V1_GEOMETRY;
  const side = (preset.recommended?.width ?? 512) / 8;
  const g = geometry({ vaeScaleFactor: 8, unetDownsamplings: preset.unetDownsamplings, latentChannels: 4, sampleSize: side });
  return preset.tinyDecoder === undefined ? g : { ...g, tinyDecoder: preset.tinyDecoder };
}
