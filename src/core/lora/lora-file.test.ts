/**
 * LoRA files as people have them: the safetensors reader (dtypes, damaged headers) and the layer keys of
 * the kohya / A1111 and diffusers / peft formats with their alpha / rank scales (diffusers' conversion:
 * `.alpha`, else lora_adapter_metadata's lora_alpha or alpha_pattern, else alpha = rank), and what is
 * refused with a message naming the file before any weight is touched. Files are written by
 * src/testing/safetensors-write.ts; the committed fixtures/lora files are read too (made by diffusers'
 * tooling in tools/make_lora_refs.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { safetensorsBytes } from '../../testing/safetensors-write.js';
import { LoraError, readLoraFile } from './lora-file.js';
import { readSafetensors, SafetensorsError, tensorToFloat32 } from './safetensors.js';

const pair = (rank: number, out: number, inn: number, dtype: 'F32' | 'F16' | 'BF16' = 'F32') => ({
  down: { shape: [rank, inn], values: Array.from({ length: rank * inn }, (_, i) => (i % 7) / 8 - 0.25), dtype },
  up: { shape: [out, rank], values: Array.from({ length: out * rank }, (_, i) => (i % 5) / 4 - 0.5), dtype },
});

describe('safetensors', () => {
  it('reads F32, F16 and BF16 tensors and the metadata', () => {
    const values = [0.5, -2, 3.25, 1024];
    const file = readSafetensors(
      't.safetensors',
      safetensorsBytes({ a: { shape: [2, 2], values }, b: { shape: [4], values, dtype: 'F16' }, c: { shape: [4], values, dtype: 'BF16' } }, { format: 'pt' }),
    );
    for (const key of ['a', 'b', 'c']) expect([...tensorToFloat32(file, key)]).toEqual(values);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.get('a')!.shape).toEqual([2, 2]);
  });

  it('refuses a truncated or corrupt file in one line naming it', () => {
    const good = safetensorsBytes({ a: { shape: [8], values: new Array(8).fill(1) } });
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /shorter than the 8-byte header length/],
      [good.subarray(0, 20), /its header claims/],
      [good.subarray(0, good.length - 4), /truncated/],
      [
        (() => {
          const b = good.slice();
          b[9] = 0x7b;
          b[10] = 0x7b;
          return b;
        })(),
        /not JSON/,
      ],
    ];
    for (const [bytes, message] of cases) {
      const error = (() => {
        try {
          readSafetensors('my-lora.safetensors', bytes);
        } catch (e) {
          return e as Error;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(SafetensorsError);
      expect(error!.message).toMatch(message);
      expect(error!.message).toMatch(/^my-lora\.safetensors /);
      expect(error!.message).not.toContain('\n');
    }
  });

  it('refuses dtypes LoRAs do not use and byte counts that do not match the shape', () => {
    const bytes = safetensorsBytes({ a: { shape: [2], values: [1, 2] } });
    const text = new TextDecoder().decode(bytes);
    const swap = (from: string, to: string) => new TextEncoder().encode(text.replace(from, to));
    expect(() => readSafetensors('x', swap('"F32"', '"I32"'))).toThrow(/I32; LoRA files are read in F32, F16 or BF16/);
    expect(() => readSafetensors('x', swap('[2]', '[3]'))).toThrow(/holds 8 bytes for F32 \[3\]/);
  });
});

describe('LoRA keys', () => {
  it('reads kohya layers (LoCon convs included) with scale alpha / rank, and the text encoder', () => {
    const p = pair(4, 6, 5, 'F16');
    const conv = { down: { shape: [4, 3, 3, 3], values: new Array(108).fill(0.1) }, up: { shape: [2, 4, 1, 1], values: new Array(8).fill(0.2) } };
    const file = readLoraFile(
      'k.safetensors',
      safetensorsBytes({
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight': p.down,
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight': p.up,
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha': { shape: [], values: [2] },
        'lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight': conv.down,
        'lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight': conv.up,
        'lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight': p.down,
        'lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight': p.up,
        'lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha': { shape: [], values: [8] },
      }),
    );
    expect(file.format).toBe('kohya');
    const by = new Map(file.layers.map((l) => [l.module, l]));
    expect(by.get('down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q')).toMatchObject({
      part: 'unet',
      scale: 0.5,
      downShape: [4, 5],
      upShape: [6, 4],
    });
    expect(by.get('down_blocks_0_resnets_0_conv1')).toMatchObject({ part: 'unet', scale: 1, downShape: [4, 3, 3, 3] }); // no alpha: alpha = rank
    expect(by.get('text_model_encoder_layers_0_self_attn_q_proj')).toMatchObject({ part: 'text_encoder', scale: 2 });
    expect([...by.get('down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q')!.down]).toEqual(p.down.values); // F16 widened exactly
  });

  it('reads diffusers / peft layers with lora_alpha and alpha_pattern from the metadata, and older spellings', () => {
    const p = pair(8, 4, 4);
    const meta = {
      lora_adapter_metadata: JSON.stringify({ 'unet.lora_alpha': 4, 'unet.r': 8, 'unet.alpha_pattern': { 'attn2.to_k': 16 }, 'text_encoder.lora_alpha': 2 }),
    };
    const file = readLoraFile(
      'd.safetensors',
      safetensorsBytes(
        {
          'unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight': p.down,
          'unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight': p.up,
          'unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight': p.down,
          'unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_k.lora_B.weight': p.up,
          'unet.up_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.down.weight': p.down,
          'unet.up_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.up.weight': p.up,
          'text_encoder.text_model.encoder.layers.1.mlp.fc1.lora_A.weight': { ...p.down, dtype: 'BF16' },
          'text_encoder.text_model.encoder.layers.1.mlp.fc1.lora_B.weight': { ...p.up, dtype: 'BF16' },
        },
        meta,
      ),
    );
    expect(file.format).toBe('diffusers');
    const by = new Map(file.layers.map((l) => [l.module, l]));
    expect(by.get('mid_block.attentions.0.transformer_blocks.0.attn1.to_q')!.scale).toBe(0.5);
    expect(by.get('mid_block.attentions.0.transformer_blocks.0.attn2.to_k')!.scale).toBe(2);
    expect(by.get('up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_out.0')!.scale).toBe(0.5);
    expect(by.get('text_model.encoder.layers.1.mlp.fc1')).toMatchObject({ part: 'text_encoder', scale: 0.25 });
  });

  it('reads the committed fixtures: both formats, alpha != rank', () => {
    const read = (name: string) => readLoraFile(name, new Uint8Array(readFileSync(`fixtures/lora/${name}.safetensors`)));
    expect(read('kohya_attn_te')).toMatchObject({ format: 'kohya' });
    expect(new Set(read('kohya_attn_te').layers.map((l) => l.scale))).toEqual(new Set([0.5]));
    expect(new Set(read('locon').layers.map((l) => l.scale))).toEqual(new Set([2]));
    expect(new Set(read('peft_unet').layers.map((l) => l.scale))).toEqual(new Set([0.5]));
    expect(new Set(read('peft_te').layers.map((l) => l.scale))).toEqual(new Set([1.5]));
  });

  const refusal = (tensors: Parameters<typeof safetensorsBytes>[0]) => {
    try {
      readLoraFile('bad.safetensors', safetensorsBytes(tensors));
    } catch (error) {
      expect(error).toBeInstanceOf(LoraError);
      expect((error as Error).message).toMatch(/^bad\.safetensors/);
      return (error as Error).message;
    }
    throw new Error('not refused');
  };
  const one = { shape: [2, 2], values: [1, 2, 3, 4] };

  it('refuses LyCORIS LoHa and LoKr, Tucker and DoRA', () => {
    expect(refusal({ 'lora_unet_mid_block_attentions_0_proj_in.hada_w1_a': one, 'lora_unet_mid_block_attentions_0_proj_in.hada_w1_b': one })).toMatch(
      /LyCORIS LoHa/,
    );
    expect(refusal({ 'lora_unet_mid_block_attentions_0_proj_in.lokr_w1': one })).toMatch(/LyCORIS LoKr/);
    expect(refusal({ 'lora_unet_x.lora_mid.weight': one, 'lora_unet_x.lora_down.weight': one })).toMatch(/Tucker lora_mid/);
    expect(refusal({ 'lora_unet_x.dora_scale': one })).toMatch(/DoRA/);
  });

  it('refuses SDXL LoRAs', () => {
    expect(refusal({ 'lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight': one })).toMatch(/SDXL/);
    expect(refusal({ 'lora_unet_input_blocks_4_1_proj_in.lora_down.weight': one })).toMatch(/SDXL/);
    expect(refusal({ 'text_encoder_2.text_model.encoder.layers.0.mlp.fc1.lora_A.weight': one })).toMatch(/SDXL/);
  });

  it('refuses keys of no known kind (listed), incomplete pairs, non-pairs and NaN', () => {
    expect(refusal({ 'lora_unet_a.lora_down.weight': one, 'lora_unet_a.lora_up.weight': one, 'lora_unet_a.something': one })).toMatch(
      /no known LoRA kind: lora_unet_a\.something/,
    );
    expect(refusal({ 'model.diffusion_model.x.weight': one })).toMatch(/no known LoRA kind: model\.diffusion_model\.x\.weight/);
    expect(refusal({ 'lora_unet_a.lora_down.weight': one })).toMatch(/lora_unet_a has no up weight/);
    expect(
      refusal({
        'lora_unet_a.lora_down.weight': { shape: [2, 3], values: new Array(6).fill(1) },
        'lora_unet_a.lora_up.weight': { shape: [3, 3], values: new Array(9).fill(1) },
      }),
    ).toMatch(/not a LoRA pair/);
    expect(refusal({ 'lora_unet_a.lora_down.weight': { shape: [2, 2], values: [1, NaN, 0, 0] }, 'lora_unet_a.lora_up.weight': one })).toMatch(
      /lora_unet_a\.lora_down\.weight holds NaN/,
    );
    expect(refusal({})).toMatch(/no LoRA layers/);
  });
});
