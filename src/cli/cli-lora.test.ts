/**
 * `generate --lora FILE[:WEIGHT]` and `<lora:name:weight>` with `--lora-dir`, run as a user runs the CLI
 * (a child process through tsx), against diffusers' picture for the same two LoRAs (fixtures/lora
 * two_loras, tools/make_lora_refs.py): --raw float image max abs <= 2e-3. The PNG's infotext carries
 * the prompt's tags and `Lora hashes` as A1111 writes them; the hashes here were computed with Python's
 * hashlib (sha256 of each file after its header, first 12 hex digits: A1111's addnet hash / shorthash).
 * Bad LoRA input fails before any work with exit status 2, one line, and no file.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli-run.js';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import { maxAbsDiff, readF32, readJson } from '../testing/reference-data.js';
import { safetensorsBytes } from '../testing/safetensors-write.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-lora-'));
const fails = (...args: string[]) =>
  cli(...args).then(
    () => {
      throw new Error('succeeded');
    },
    (error: { code: number; stderr: string }) => error,
  );

const manifest = readJson<{
  request: { prompt: string; scheduler: string; steps: number; guidance: number; seed: number };
  cases: { id: string; image: { file: string } }[];
}>('fixtures/lora/manifest.json');
const r = manifest.request;
const common = [
  '--model',
  'fixtures/tiny-sd-fp32',
  '--scheduler',
  r.scheduler,
  '--steps',
  String(r.steps),
  '--guidance',
  String(r.guidance),
  '--seed',
  String(r.seed),
  '--width',
  '128',
  '--height',
  '128',
];
const twoLoras = readF32(`fixtures/lora/${manifest.cases.find((c) => c.id === 'two_loras')!.image.file}`);
const HASHES = 'kohya_attn_te: 9e516c6c5c8a, peft_unet: d82809c0b80c';

describe('npm run cli -- generate with LoRAs', () => {
  it("--lora FILE:WEIGHT (twice) makes diffusers' picture and records the set", async () => {
    const out = join(dir, 'flags.png');
    const raw = join(dir, 'flags.f32');
    await cli(
      'generate',
      ...common,
      '--prompt',
      r.prompt,
      '--lora',
      'fixtures/lora/kohya_attn_te.safetensors:0.7',
      '--lora',
      'fixtures/lora/peft_unet.safetensors:-0.5',
      '--out',
      out,
      '--raw',
      raw,
    );
    const error = maxAbsDiff(readF32(raw), twoLoras);
    console.log(`cli --lora x2: raw max abs ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(2e-3);
    const text = readPngTextChunks(readFileSync(out)).parameters!;
    expect(text).toContain(`Lora hashes: "${HASHES}"`);
    expect(parseParameters(text)).toMatchObject({ prompt: `${r.prompt} <lora:kohya_attn_te:0.7> <lora:peft_unet:-0.5>`, extra: { 'Lora hashes': HASHES } });
  });

  it('<lora:name:weight> in the prompt with --lora-dir: the same picture, bit for bit', async () => {
    const prompt = `${r.prompt} <lora:kohya_attn_te:0.7> <lora:peft_unet:-0.5>`;
    const out = join(dir, 'tags.png');
    const raw = join(dir, 'tags.f32');
    await cli('generate', ...common, '--prompt', prompt, '--lora-dir', 'fixtures', '--out', out, '--raw', raw); // found in fixtures/lora/
    expect(readFileSync(raw).equals(readFileSync(join(dir, 'flags.f32')))).toBe(true);
    expect(parseParameters(readPngTextChunks(readFileSync(out)).parameters!)).toMatchObject({ prompt, extra: { 'Lora hashes': HASHES } });
  });

  it('refuses bad LoRA input before any work: exit 2, one line, no file', async () => {
    const loha = join(dir, 'loha.safetensors');
    writeFileSync(loha, safetensorsBytes({ 'lora_unet_mid_block_attentions_0_proj_in.hada_w1_a': { shape: [2, 2], values: [1, 2, 3, 4] } }));
    const truncated = join(dir, 'cut.safetensors');
    writeFileSync(truncated, readFileSync('fixtures/lora/peft_te.safetensors').subarray(0, 3000));
    const out = join(dir, 'bad.png');
    const cases: [string[], RegExp][] = [
      [['--prompt', 'x <lora:kohya_attn_te:1>'], /--lora-dir DIR/],
      [['--prompt', 'x <lora:nothing:1>', '--lora-dir', 'fixtures/lora'], /has no nothing\.safetensors/],
      [['--prompt', 'x', '--lora', loha], /LoraError: loha\.safetensors is a LyCORIS LoHa file/],
      [['--prompt', 'x', '--lora', truncated], /SafetensorsError: cut\.safetensors is not a readable \.safetensors file .*truncated/],
      [['--prompt', 'x', '--lora', join(dir, 'missing.safetensors')], /no such file/],
    ];
    for (const [args, message] of cases) {
      const failure = await fails('generate', ...common, ...args, '--out', out);
      expect(failure.code).toBe(2);
      expect(failure.stderr).toMatch(message);
      expect(failure.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });
});
