/**
 * One request model (issue 13 §1): the same bad request fed to the CLI (flags, as a user runs it),
 * the app's form logic (FormValues) and the element (attributes) gets the same field error, in the
 * same words, from the engine's one validator, against the same model's size rule (shapes-sd:
 * multiples of 32, read from its folder).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateForm, type FormValues } from './app/form-values.js';
import { FLAG_FOR_FIELD, generateCommand } from './cli/generate.js';
import { requestFromAttributes } from './element/settings.js';
import { folderGeometry, openModelFolder } from './engine/model/model-folder.js';
import type { ModelGeometry } from './engine/model/model-geometry.js';
import { validateRequest, type RequestField } from './engine/request/request.js';
import { DirectoryModelSource } from './node/directory-source.js';
import { presets } from './presets/presets.js';
import { VALID_FORM_VALUES } from './testing/form-values.js';

const MODEL = 'public/models/shapes-sd-fp32';
const out = join(mkdtempSync(join(tmpdir(), 'sd-surfaces-')), 'x.png');
const shapes = presets('https://app.example/')[0];

/** One bad request, as each surface spells it. */
interface Case {
  field: RequestField;
  cli: string[];
  form: Partial<FormValues>;
  attributes: Record<string, string>;
}

const CASES: Case[] = [
  { field: 'width', cli: ['--width', '120'], form: { width: 120 }, attributes: { width: '120' } },
  { field: 'height', cli: ['--height', '136'], form: { height: 136 }, attributes: { height: '136' } },
  { field: 'numInferenceSteps', cli: ['--steps', '0'], form: { steps: 0 }, attributes: { steps: '0' } },
  { field: 'numInferenceSteps', cli: ['--steps', '2.5'], form: { steps: 2.5 }, attributes: { steps: '2.5' } },
  { field: 'guidanceScale', cli: ['--guidance', '51'], form: { guidanceScale: 51 }, attributes: { guidance: '51' } },
  { field: 'seed', cli: ['--seed=-2'], form: { seed: -2 }, attributes: { seed: '-2' } },
  { field: 'scheduler', cli: ['--scheduler', 'k_lms'], form: { scheduler: 'k_lms' as FormValues['scheduler'] }, attributes: { scheduler: 'k_lms' } },
  { field: 'eta', cli: ['--eta', '1.5'], form: { eta: 1.5 }, attributes: { eta: '1.5' } },
  {
    field: 'timestepSpacing',
    cli: ['--timestep-spacing', 'karras'],
    form: { timestepSpacing: 'karras' as FormValues['timestepSpacing'] },
    attributes: { 'timestep-spacing': 'karras' },
  },
];

const formValues: FormValues = { ...VALID_FORM_VALUES, prompt: 'a red circle', seed: 1 };

function caught(run: () => unknown): { name?: string; field?: string; message?: string } {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return {};
}

describe('the same bad request on every surface', () => {
  let geometry: ModelGeometry;
  beforeAll(async () => {
    geometry = folderGeometry(await openModelFolder(new DirectoryModelSource(MODEL)));
  });

  it.each(CASES.map((c) => [`${c.cli.join(' ')}`, c] as const))('%s: one field error, in the same words', async (_, c) => {
    const request = { prompt: 'a red circle', seed: 1, width: 128, height: 128 };
    const [expected] = validateRequest({ ...request, ...fromForm(c.form) }, geometry);
    expect(expected.field).toBe(c.field);

    const cli = await generateCommand(['--model', MODEL, '--prompt', 'a red circle', '--seed', '1', '--out', out, ...c.cli]).then(
      () => ({}),
      (error: Error) => error,
    );
    expect(cli).toMatchObject({ name: 'InvalidRequestError', field: c.field, message: `--${FLAG_FOR_FIELD[c.field]}: ${expected.message}` });

    const form = validateForm({ ...formValues, ...c.form }, geometry);
    expect(form).toEqual([{ field: Object.keys(c.form)[0], message: expected.message }]);

    const element = caught(() =>
      requestFromAttributes(
        (name) => (({ prompt: 'a red circle', seed: '1', ...c.attributes }) as Record<string, string>)[name] ?? null,
        shapes,
        () => 0,
        geometry,
      ),
    );
    expect(element).toMatchObject({ name: 'InvalidRequestError', field: c.field, message: expected.message });
  });

  it('the CLI as a user runs it: one line on stderr, exit status 2, before loading the model', async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'generate', '--prompt', 'x', '--width', '120', '--out', out]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr.trim()).toBe(
      "InvalidRequestError: --width: Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 120).",
    );
  });
});

function fromForm(form: Partial<FormValues>) {
  const { steps, timestepSpacing, ...rest } = form;
  return { ...rest, ...(steps !== undefined ? { numInferenceSteps: steps } : {}), ...(timestepSpacing ? { timestepSpacing } : {}) };
}
