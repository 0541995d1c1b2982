/**
 * Errors that teach: each names what happened and, in one sentence, what the user can do.
 * They cross the worker boundary as `{ name, message }` and are rebuilt by `errorFromJSON`.
 */
/** Names are spelled out (not `constructor.name`) so they survive minification across the worker boundary. */
export class SdError extends Error {
  override name = 'SdError';
}

/** A request parameter is out of range or malformed (checked up front, never silently corrected). */
export class InvalidRequestError extends SdError {
  override name = 'InvalidRequestError';
  /** The request field at fault (diffusers' names, e.g. 'numInferenceSteps'), when one is. */
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(message);
    if (field !== undefined) this.field = field;
  }
}
/** The model folder lacks a file, or a file is not what the layout says it should be. */
export class ModelFileMissingError extends SdError {
  override name = 'ModelFileMissingError';
}
export class ModelFormatError extends SdError {
  override name = 'ModelFormatError';
  /** The model folder's files the runtime refused (a part's model.onnx and its weights), where known: a store forgets them. */
  files: readonly string[] = [];
}
export class NetworkError extends SdError {
  override name = 'NetworkError';
}
export class IntegrityError extends SdError {
  override name = 'IntegrityError';
}
export class QuotaExceededError extends SdError {
  override name = 'QuotaExceededError';
}
export class WebGpuUnavailableError extends SdError {
  override name = 'WebGpuUnavailableError';
}
export class ShaderF16UnsupportedError extends SdError {
  override name = 'ShaderF16UnsupportedError';
}
/** A stage produced NaN/Inf (an fp16 model overflowing on a GPU, damaged weights): no image is made. */
export class NonFiniteOutputError extends SdError {
  override name = 'NonFiniteOutputError';
}
/** A model folder prepared for one backend (e.g. WebGPU's fused operators) loaded on another (wasm, CPU). */
export class BackendMismatchError extends SdError {
  override name = 'BackendMismatchError';
}
/** The model cannot fit this backend's memory (wasm heap) or buffer limits (GPU); said before downloading. */
export class ModelTooLargeError extends SdError {
  override name = 'ModelTooLargeError';
}
/** The caller cancelled; not a failure. */
export class CancelledError extends SdError {
  override name = 'CancelledError';
  constructor(message = 'Generation was cancelled.') {
    super(message);
  }
}

/** diffusers' warning, with what the surfaces say instead of returning a black image. */
export const NSFW_MESSAGE =
  'The picture was withheld by the safety checker: potential NSFW content was detected. Try again with a different prompt and/or seed.';

/**
 * The safety checker (a model folder's safety_checker/, as diffusers runs it) flagged the picture: it is
 * withheld, never returned as pixels (diffusers returns a black image instead). One message everywhere.
 */
export class NsfwContentDetectedError extends SdError {
  override name = 'NsfwContentDetectedError';
  constructor(message = NSFW_MESSAGE) {
    super(message);
  }
}

/** The engine's web worker could not start (its script not served, a syntax error) or died (out of memory, a crash); the next request starts a new one. */
export class EngineWorkerError extends SdError {
  override name = 'EngineWorkerError';
}
/** The GPU device was lost (a driver reset, a background tab, out of memory) during the job; the engine makes new sessions on the next request. */
export class GpuDeviceLostError extends SdError {
  override name = 'GpuDeviceLostError';
}

const classes = {
  SdError,
  NsfwContentDetectedError,
  InvalidRequestError,
  ModelFileMissingError,
  ModelFormatError,
  NetworkError,
  IntegrityError,
  QuotaExceededError,
  WebGpuUnavailableError,
  ShaderF16UnsupportedError,
  BackendMismatchError,
  ModelTooLargeError,
  NonFiniteOutputError,
  CancelledError,
  EngineWorkerError,
  GpuDeviceLostError,
} as const;

export interface SerializedError {
  name: string;
  message: string;
  /** InvalidRequestError's field. */
  field?: string;
}

export function errorToJSON(error: unknown): SerializedError {
  if (error instanceof InvalidRequestError && error.field !== undefined) return { name: error.name, message: error.message, field: error.field };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the same class on the other side of a worker boundary (plain Error for unknown names). */
export function errorFromJSON({ name, message, field }: SerializedError): Error {
  if (name === 'InvalidRequestError') return new InvalidRequestError(message, field);
  const Class = (classes as Record<string, new (message: string) => Error>)[name];
  const error = Class ? new Class(message) : new Error(message);
  if (!Class) error.name = name;
  return error;
}
