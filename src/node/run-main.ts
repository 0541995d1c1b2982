/**
 * Entry-point wrapper for Node commands: every error prints as one line (`Name: message`; the stack
 * only with SD_DEBUG=1) and sets the exit status: 2 for bad input (a flag, a request field, a model
 * folder that is missing, malformed, or not made for this backend or memory), 1 for a failure at run
 * time (NaN output, a full disk, the network, ...), 3 when the safety checker withheld the picture.
 */
import {
  BackendMismatchError,
  NsfwContentDetectedError,
  InvalidRequestError,
  ModelFileMissingError,
  ModelFormatError,
  ModelTooLargeError,
  ShaderF16UnsupportedError,
} from '../core/errors.js';

const BAD_INPUT = [InvalidRequestError, ModelFileMissingError, ModelFormatError, BackendMismatchError, ModelTooLargeError, ShaderF16UnsupportedError];

export const EXIT_BAD_INPUT = 2;
export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_WITHHELD = 3;

export function exitCodeFor(error: unknown): number {
  if (error instanceof NsfwContentDetectedError) return EXIT_WITHHELD;
  return BAD_INPUT.some((Class) => error instanceof Class) ? EXIT_BAD_INPUT : EXIT_RUNTIME_FAILURE;
}

export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const line = error instanceof Error ? `${error.name}: ${error.message}` : `Error: ${String(error)}`;
      console.error(process.env.SD_DEBUG === '1' && error instanceof Error ? error.stack : line.replace(/\s*\n\s*/g, ' '));
      process.exit(exitCodeFor(error));
    },
  );
}
