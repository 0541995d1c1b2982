/**
 * Errors that teach: each names what happened and, in one sentence, what the user can do.
 * They cross the worker boundary as `{ name, message }` and are rebuilt by `errorFromJSON`.
 */
export class SdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request parameter is out of range or malformed (checked up front, never silently corrected). */
export class InvalidRequestError extends SdError {}
/** The model folder lacks a file, or a file is not what the layout says it should be. */
export class ModelFileMissingError extends SdError {}
export class ModelFormatError extends SdError {}
export class NetworkError extends SdError {}
export class IntegrityError extends SdError {}
export class QuotaExceededError extends SdError {}
export class WebGpuUnavailableError extends SdError {}
export class ShaderF16UnsupportedError extends SdError {}
/** The caller cancelled; not a failure. */
export class CancelledError extends SdError {
  constructor(message = 'Generation was cancelled.') {
    super(message);
  }
}

const classes = {
  SdError,
  InvalidRequestError,
  ModelFileMissingError,
  ModelFormatError,
  NetworkError,
  IntegrityError,
  QuotaExceededError,
  WebGpuUnavailableError,
  ShaderF16UnsupportedError,
  CancelledError,
} as const;

export interface SerializedError {
  name: string;
  message: string;
}

export function errorToJSON(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the same class on the other side of a worker boundary (plain Error for unknown names). */
export function errorFromJSON({ name, message }: SerializedError): Error {
  const Class = (classes as Record<string, new (message: string) => Error>)[name];
  const error = Class ? new Class(message) : new Error(message);
  if (!Class) error.name = name;
  return error;
}
