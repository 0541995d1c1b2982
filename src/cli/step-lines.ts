/**
 * The CLI's denoise progress on stderr: "step k/N" as diffusers' progress bar counts (sampler steps,
 * not UNet calls). On a terminal one line rewritten in place (\r), ended by a newline after the last
 * step; when stderr is a pipe or a file (CI logs, `2> log`), one plain line per step, so nothing is smeared.
 */
import type { EngineProgress } from '../engine/events.js';
import type { GenerationProgress } from '../engine/events.js';

export interface StepLines {
  onProgress: (progress: EngineProgress | GenerationProgress) => void;
  /** Ends a line left open on a terminal (a run stopped part-way). */
  close: () => void;
}

export function stepLines(write: (text: string) => void, isTTY: boolean): StepLines {
  let open = false;
  return {
    onProgress(p) {
      if (p.stage !== 'denoise') return;
      const text = `step ${p.step}/${p.totalSteps}`;
      if (!isTTY) return write(`${text}\n`);
      write(`\r${text}`);
      open = p.step < p.totalSteps;
      if (!open) write('\n');
    },
    close() {
      if (open) write('\n');
      open = false;
    },
  };
}
