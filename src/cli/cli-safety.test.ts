/**
 * The CLI with a model folder that has a safety checker (fixtures/safety over tiny-sd, diffusers'
 * decisions in fixtures/safety/cases.json): a flagged seed exits with status 3, writes no file and says
 * one line on stderr naming the safety checker; --no-safety-checker prints diffusers' licence warning and
 * writes the flagged picture (unflagged pictures against diffusers: src/engine/safety/safety-checker.parity.test.ts).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli-run.js';
import { readJson } from '../testing/reference-data.js';
import { safetyModelDir } from '../testing/safety-model.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-safety-'));
const { cases } = readJson<{
  cases: { id: string; prompt: string; seed: number; steps: number; guidance: number; scheduler: string; nsfw_content_detected: boolean }[];
}>('fixtures/safety/cases.json');
const flagged = cases.find((c) => c.nsfw_content_detected)!;
const args = (c: typeof flagged, out: string) => [
  'generate',
  '--model',
  safetyModelDir(),
  '--prompt',
  c.prompt,
  '--seed',
  String(c.seed),
  '--steps',
  String(c.steps),
  '--guidance',
  String(c.guidance),
  '--scheduler',
  c.scheduler,
  '--out',
  out,
];

describe('npm run cli -- generate with a safety checker', () => {
  it('a flagged picture: exit status 3, no output file, one line on stderr naming the safety checker', async () => {
    const out = join(dir, 'flagged.png');
    const failure = await cli(...args(flagged, out), '--raw', join(dir, 'flagged.f32')).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(3);
    const lines = failure!.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('step '));
    expect(lines).toEqual([expect.stringMatching(/^NsfwContentDetectedError: .*withheld by the safety checker/)]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'flagged.f32'))).toBe(false);
  });

  it("--no-safety-checker: diffusers' licence warning, and the picture is written", async () => {
    const out = join(dir, 'unchecked.png');
    const { stderr } = await cli(...args(flagged, out), '--no-safety-checker');
    expect(stderr).toContain('You have disabled the safety checker. Ensure that you abide to the conditions of the Stable Diffusion license');
    expect(existsSync(out)).toBe(true);
  });
});
