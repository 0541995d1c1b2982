/** A model as the surfaces offer it: the engine's ModelSpec plus what a picker shows and recommends. */
import type { ModelSpec } from '../engine/model-spec.js';
import type { ResolvedRequest } from '../engine/request.js';

export interface ModelPreset extends ModelSpec {
  label: string;
  description?: string;
  /** Example prompts the UI offers. */
  examplePrompts?: string[];
  /** Settings that suit the model, in the request's vocabulary. */
  recommended?: Pick<ResolvedRequest, 'scheduler' | 'numInferenceSteps' | 'guidanceScale' | 'width' | 'height'>;
}
