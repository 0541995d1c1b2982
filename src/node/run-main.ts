/** Entry-point wrapper for Node commands: our errors print as one line and exit 2, anything else with its stack and exit 1. */
import { SdError } from '../core/errors.js';

export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const known = error instanceof SdError;
      console.error(known ? `${error.name}: ${error.message}` : error);
      process.exit(known ? 2 : 1);
    },
  );
}
