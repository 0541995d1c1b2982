/**
 * The LoRA merge's matrix product on onnxruntime (its wasm CPU backend, MLAS: about 5x the JavaScript
 * kernel, core/lora/lora-merge.ts, on SD's (5120, 1280) feed-forward layer at rank 64 on this machine: 5.0
 * vs 1.0 GFLOP/s). One session of a two-node graph, Z = W + X @ Y with symbolic dims, serves every layer;
 * its owner disposes it. Float32 in, float32 out; the result is copied back into W.
 */
import { bytesField, concatBytes, varintField } from '../../core/onnx/protobuf-write.js';
import type { AddProducts } from '../../core/lora/lora-merge.js';
import { createSession, type OrtModule, type OrtSession } from './ort.js';

const FLOAT = 1;

/** ONNX: inputs W (a, b), X (a, r), Y (r, b); output Z = W + MatMul(X, Y). opset 17. */
function matmulAddModel(): Uint8Array {
  const tensorType = (dims: string[]) =>
    bytesField(1, concatBytes([varintField(1, FLOAT), ...(dims.length ? [bytesField(2, concatBytes(dims.map((d) => bytesField(1, bytesField(2, d)))))] : [])]));
  const valueInfo = (field: number, name: string, dims: string[]) => bytesField(field, concatBytes([bytesField(1, name), bytesField(2, tensorType(dims))]));
  const node = (op: string, inputs: string[], output: string) =>
    bytesField(1, concatBytes([...inputs.map((i) => bytesField(1, i)), bytesField(2, output), bytesField(3, op), bytesField(4, op)]));
  const graph = concatBytes([
    node('MatMul', ['X', 'Y'], 'P'),
    node('Add', ['W', 'P'], 'Z'),
    bytesField(2, 'lora_merge'),
    valueInfo(11, 'W', ['a', 'b']),
    valueInfo(11, 'X', ['a', 'r']),
    valueInfo(11, 'Y', ['r', 'b']),
    valueInfo(12, 'Z', ['a', 'b']),
  ]);
  return concatBytes([varintField(1, 8), bytesField(7, graph), bytesField(8, concatBytes([bytesField(1, ''), varintField(2, 17)]))]);
}

export class OrtMatmul {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
  ) {}

  static async create(ort: OrtModule): Promise<OrtMatmul> {
    // onnxruntime-web's CPU backend is 'wasm', onnxruntime-node's 'cpu'
    return new OrtMatmul(ort, await createSession(ort, matmulAddModel(), { executionProviders: [ort.opensModelFiles ? 'cpu' : 'wasm'] }));
  }

  readonly addProducts: AddProducts = async (w, x, y, rows, cols, rank) => {
    const { Tensor } = this.ort;
    const feeds = { W: new Tensor('float32', w, [rows, cols]), X: new Tensor('float32', x, [rows, rank]), Y: new Tensor('float32', y, [rank, cols]) };
    const { Z } = await this.session.run(feeds);
    try {
      w.set(Z!.data as Float32Array);
    } finally {
      Z!.dispose();
    }
  };

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
