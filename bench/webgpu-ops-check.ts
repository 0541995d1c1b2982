/**
 * Checks, operator by operator at Stable Diffusion v1.4's shapes, that onnxruntime's WebGPU EP has a
 * kernel for each fused operator tools/prepare_model.py may produce and computes what the CPU EP
 * computes: one-node graphs, the same random inputs, WebGPU fp32 and fp16 against CPU fp32 (or a
 * JavaScript reference for the CUDA-only BiasAdd and BiasSplitGelu, which the CPU EP lacks).
 * The CPU fallback is disabled (session.disable_cpu_ep_fallback), so "no kernel" is an error, not a
 * silent slowdown. Run it on the GPU machine before trusting an optimised model, and here on
 * SwiftShader (bench/README.md has both results).
 *
 *   npx tsx bench/webgpu-ops-check.ts [--latent 64] [--only NAME] [--no-fp16]
 *   (SwiftShader: LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json;
 *    --latent 16 keeps it short there)
 *
 * Tolerances (relative L2 against CPU fp32): fp32 <= 1e-4, fp16 <= 1e-2.
 */
import { parseArgs } from 'node:util';
import { float16ToFloat32, float32ToFloat16 } from '../src/core/float16.js';
import type { OrtModule, OrtTensor } from '../src/engine/runtime/ort.js';
import { assertNativeWebGpu, nativeRuntime } from '../src/node/ort-native.js';
import { graphProto, modelProto, type AttributeValue, type OnnxElementType } from '../src/core/onnx/onnx-write.js';
import { median } from './lib/report.js';

interface Case {
  name: string;
  op: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
  /** name, dims, scale of the uniform random values (+-scale/2). */
  inputs: [string, number[], number][];
  output: number[];
  /** For operators the CPU EP lacks (CUDA-only contrib ops): the reference in JavaScript. */
  reference?: (data: Float32Array[]) => Float32Array;
}

/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough for a 1e-4 relative L2 check. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** BiasAdd: x + bias + skip, bias broadcast over the last dim. */
function biasAdd([x, bias, skip]: Float32Array[]): Float32Array {
  return x.map((v, i) => v + bias[i % bias.length] + skip[i]);
}

/** BiasSplitGelu: (x + bias) split in halves on the last dim, left * gelu(right). */
function biasSplitGelu([x, bias]: Float32Array[]): Float32Array {
  const c = bias.length;
  const half = c / 2;
  const rows = x.length / c;
  const y = new Float32Array(rows * half);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < half; j++) y[r * half + j] = (x[r * c + j] + bias[j]) * gelu(x[r * c + half + j] + bias[half + j]);
  }
  return y;
}

function cases(latent: number): Case[] {
  const s1 = latent * latent;
  const s3 = (latent / 4) ** 2;
  const ms = 'com.microsoft';
  const w = (n: number) => 2 / Math.sqrt(n); // weights scaled like a trained linear layer
  return [
    {
      name: `Attention, UNet self-attention (2x${s1}x320, 8 heads of 40)`,
      op: 'Attention',
      domain: ms,
      attributes: { num_heads: 8 },
      inputs: [
        ['x', [2, s1, 320], 2],
        ['w', [320, 960], w(320)],
        ['b', [960], 0.1],
      ],
      output: [2, s1, 320],
    },
    {
      name: `Attention, UNet self-attention (2x${s3}x1280, 8 heads of 160)`,
      op: 'Attention',
      domain: ms,
      attributes: { num_heads: 8 },
      inputs: [
        ['x', [2, s3, 1280], 2],
        ['w', [1280, 3840], w(1280)],
        ['b', [3840], 0.1],
      ],
      output: [2, s3, 1280],
    },
    {
      name: `MultiHeadAttention, UNet cross-attention (q 2x${s1}x320, k/v 2x77x320, bias)`,
      op: 'MultiHeadAttention',
      domain: ms,
      attributes: { num_heads: 8 },
      inputs: [
        ['q', [2, s1, 320], 2],
        ['k', [2, 77, 320], 2],
        ['v', [2, 77, 320], 2],
        ['bias', [960], 0.1],
      ],
      output: [2, s1, 320],
    },
    {
      name: `Attention, VAE mid-block (1x${s1}x512, 1 head)`,
      op: 'Attention',
      domain: ms,
      attributes: { num_heads: 1 },
      inputs: [
        ['x', [1, s1, 512], 2],
        ['w', [512, 1536], w(512)],
        ['b', [1536], 0.1],
      ],
      output: [1, s1, 512],
    },
    {
      name: 'Attention, CLIP causal (1x77x768, 12 heads)',
      op: 'Attention',
      domain: ms,
      attributes: { num_heads: 12, unidirectional: 1 },
      inputs: [
        ['x', [1, 77, 768], 2],
        ['w', [768, 2304], w(768)],
        ['b', [2304], 0.1],
      ],
      output: [1, 77, 768],
    },
    {
      name: `BiasSplitGelu (2x${s1}x2560)`,
      op: 'BiasSplitGelu',
      domain: ms,
      inputs: [
        ['x', [2, s1, 2560], 4],
        ['b', [2560], 0.2],
      ],
      output: [2, s1, 1280],
      reference: biasSplitGelu,
    },
    {
      name: `BiasAdd (2x${s1}x320)`,
      op: 'BiasAdd',
      domain: ms,
      inputs: [
        ['x', [2, s1, 320], 2],
        ['b', [320], 0.2],
        ['skip', [2, s1, 320], 2],
      ],
      output: [2, s1, 320],
      reference: biasAdd,
    },
    {
      name: `BiasGelu (2x${s1}x1280)`,
      op: 'BiasGelu',
      domain: ms,
      inputs: [
        ['x', [2, s1, 1280], 4],
        ['b', [1280], 0.2],
      ],
      output: [2, s1, 1280],
    },
    {
      name: 'QuickGelu (1x77x3072)',
      op: 'QuickGelu',
      domain: ms,
      attributes: { alpha: { float: 1.702 } },
      inputs: [['x', [1, 77, 3072], 4]],
      output: [1, 77, 3072],
    },
    {
      name: `SkipLayerNormalization (2x${s1}x320, bias)`,
      op: 'SkipLayerNormalization',
      domain: ms,
      attributes: { epsilon: { float: 1e-5 } },
      inputs: [
        ['x', [2, s1, 320], 2],
        ['skip', [2, s1, 320], 2],
        ['gamma', [320], 2],
        ['beta', [320], 0.2],
        ['bias', [320], 0.2],
      ],
      output: [2, s1, 320],
    },
    {
      name: `LayerNormalization (2x${s1}x320)`,
      op: 'LayerNormalization',
      attributes: { epsilon: { float: 1e-5 }, axis: -1 },
      inputs: [
        ['x', [2, s1, 320], 2],
        ['gamma', [320], 2],
        ['beta', [320], 0.2],
      ],
      output: [2, s1, 320],
    },
    {
      name: `InstanceNormalization, GroupNorm as exported (2x32x${10 * s1})`,
      op: 'InstanceNormalization',
      attributes: { epsilon: { float: 1e-5 } },
      inputs: [
        ['x', [2, 32, 10 * s1], 4],
        ['scale', [32], 2],
        ['bias', [32], 0.2],
      ],
      output: [2, 32, 10 * s1],
    },
    {
      name: `Softmax, unfused attention scores (16x${s1}x77)`,
      op: 'Softmax',
      attributes: { axis: -1 },
      inputs: [['x', [16, s1, 77], 8]],
      output: [16, s1, 77],
    },
  ];
}

/** Deterministic uniform values in [-scale/2, scale/2) (Park-Miller). */
function random(n: number, scale: number, seed: number): Float32Array {
  let state = seed % 2147483647 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state * 16807) % 2147483647;
    out[i] = (state / 2147483647 - 0.5) * scale;
  }
  return out;
}

function relativeL2(a: Float32Array, ref: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  const r = Math.sqrt(num / den);
  return Number.isNaN(r) ? Infinity : r;
}

async function run(ort: OrtModule, provider: 'cpu' | 'webgpu', c: Case, type: OnnxElementType, data: Float32Array[]): Promise<{ y: Float32Array; ms: number }> {
  const graph = graphProto({
    name: 'check',
    nodes: [{ op: c.op, domain: c.domain, attributes: c.attributes, inputs: c.inputs.map(([n]) => n), outputs: ['y'], name: `${c.op}_0` }],
    inputs: c.inputs.map(([name, dims]) => ({ name, type, dims })),
    outputs: [{ name: 'y', type, dims: c.output }],
  });
  const model = modelProto(graph, [
    { domain: '', version: 17 },
    { domain: 'com.microsoft', version: 1 },
  ]);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [provider],
    logSeverityLevel: 4,
    ...(provider === 'webgpu' ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
  });
  try {
    const feeds: Record<string, OrtTensor> = {};
    c.inputs.forEach(([name, dims], i) => {
      feeds[name] = type === 'float16' ? new ort.Tensor('float16', float32ToFloat16(data[i]), dims) : new ort.Tensor('float32', data[i], dims);
    });
    const times: number[] = [];
    let out: OrtTensor | undefined;
    for (let i = 0; i < (provider === 'webgpu' ? 3 : 1); i++) {
      const t0 = performance.now();
      out = (await session.run(feeds)).y;
      times.push(performance.now() - t0);
    }
    const y = out!.type === 'float16' ? float16ToFloat32(out!.data as Uint16Array) : (out!.data as Float32Array);
    return { y, ms: median(times.slice(provider === 'webgpu' ? 1 : 0)) };
  } finally {
    await session.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { latent: { type: 'string', default: '64' }, only: { type: 'string' }, 'no-fp16': { type: 'boolean', default: false } },
  });
  const latent = Number(values.latent);
  const cpu = nativeRuntime('cpu').ort;
  const gpu = nativeRuntime('webgpu');
  await assertNativeWebGpu(gpu.ort);
  console.log(`onnxruntime-node ${gpu.version}, WebGPU EP vs CPU EP, latent ${latent}x${latent} (image ${latent * 8}px); rel L2 limits: fp32 1e-4, fp16 1e-2`);
  const results = [];
  let failed = 0;
  for (const [index, c] of cases(latent).entries()) {
    if (values.only && !c.name.toLowerCase().includes(values.only.toLowerCase())) continue;
    const data = c.inputs.map(([, dims, scale], i) =>
      random(
        dims.reduce((a, b) => a * b, 1),
        scale,
        1000 * index + i + 1,
      ),
    );
    const row: Record<string, unknown> = { name: c.name };
    try {
      const ref = c.reference ? { y: c.reference(data) } : await run(cpu, 'cpu', c, 'float32', data);
      for (const type of values['no-fp16'] ? (['float32'] as const) : (['float32', 'float16'] as const)) {
        try {
          const { y, ms } = await run(gpu.ort, 'webgpu', c, type, data);
          const error = relativeL2(y, ref.y);
          const ok = error <= (type === 'float32' ? 1e-4 : 1e-2);
          if (!ok) failed++;
          row[type] = { relL2: error, ms, ok };
        } catch (error) {
          failed++;
          const message = (error as Error).message;
          row[type] = { error: /requires f16/.test(message) ? 'this device has no shader-f16' : message.split('\n')[0].slice(0, 160) };
        }
      }
    } catch (error) {
      row.cpu = { error: (error as Error).message.split('\n')[0].slice(0, 160) };
    }
    results.push(row);
    const cell = (v: unknown) => {
      const r = v as { relL2?: number; ms?: number; ok?: boolean; error?: string } | undefined;
      if (!r) return '-';
      if (r.error) return `ERROR ${r.error}`;
      return `${r.ok ? 'ok ' : 'BAD'} ${r.relL2!.toExponential(1)} ${r.ms!.toFixed(1)} ms`;
    };
    console.log(`${c.name.padEnd(78)} fp32 ${cell(row.float32).padEnd(24)} fp16 ${cell(row.float16)}`);
  }
  console.log(`OPS_JSON ${JSON.stringify({ version: gpu.version, latent, results })}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(2);
});
