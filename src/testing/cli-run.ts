/**
 * The command line as a user runs it, for the CLI tests (src/cli/*.test.ts): a child process,
 * `node --import tsx src/cli/main.ts ARGS`, from the repository root, with room for 16 MiB of output; and the
 * flags that make a case of fixtures/refs (diffusers' reference pictures of the tiny fixture).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { caseFlags } from './diffusers-case.js';
import { readJson } from './reference-data.js';

const run = promisify(execFile);

/** Resolves with stdout and stderr; rejects with the exit code and stderr on a non-zero exit. */
export const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 1 << 24 });

/** Runs the CLI expecting failure: its exit code and stderr (code 0 and no stderr when it succeeded). */
export const cliFailure = (...args: string[]) =>
  cli(...args).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );

/** fixtures/refs/manifest.json (make_fixtures.py): diffusers' pictures of the tiny fixture from given latents. */
export interface RefsManifest {
  latents: { file: string };
  cases: { scheduler: string; steps: number; guidance: number; prompt: string; image: { file: string } }[];
}
export const readRefsManifest = () => readJson<RefsManifest>('fixtures/refs/manifest.json');

/** The flags that make a fixtures/refs case: its prompt, scheduler, steps and guidance, the given latents, 128x128. */
export const refsCaseFlags = (manifest: RefsManifest, c: RefsManifest['cases'][number]) => [
  ...caseFlags(c),
  '--latents',
  `fixtures/${manifest.latents.file}`,
  '--width',
  '128',
  '--height',
  '128',
];
