/**
 * A Generate asked for while a job runs is never dropped without a word (issue 25, smaller: a click
 * just after the bundled model began loading did nothing). During a load it is remembered and starts
 * once the load has succeeded; during a generation it is refused with a sentence saying why.
 */
import type { JobOutcome } from './generation-controller.js';

export type RunningJob = 'load' | 'generate';

export class PendingGenerate {
  #pending = false;

  /** Whether a Generate is waiting for the running load. */
  get pending(): boolean {
    return this.#pending;
  }

  /** A Generate while `job` runs: what to tell the user (and, during a load, remember it). */
  ask(job: RunningJob): string {
    if (job === 'load') {
      this.#pending = true;
      return 'The model is still loading: generating as soon as it is ready.';
    }
    return 'A picture is being made: wait for it to finish, or press Cancel.';
  }

  /** After a load ends: whether to start the remembered Generate now (only after a successful load; cleared either way). */
  take(outcome: JobOutcome): boolean {
    const start = this.#pending && outcome.kind === 'done';
    this.#pending = false;
    return start;
  }
}
