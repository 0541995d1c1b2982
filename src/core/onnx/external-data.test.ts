/**
 * External-data discovery from the graph: synthetic models written with src/testing/onnx-proto.ts
 * (onnx.proto3 field numbers), and the UNet of the committed tiny fixture (written by onnx.save_model
 * in Python, ../shared/tools/make_fixtures.py: all its weights in unet/weights.pb).
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { externalDataFiles, externalDataReferences, normalizeExternalLocation } from './external-data.js';
import { externalTensor, graph, inlineTensor, model, node } from '../../testing/onnx-proto.js';

const GiB = 2 ** 30;

function manyFilesModel(): Uint8Array {
  const branch = graph({ nodes: [node({ op: 'Identity', inputs: ['w_branch'], outputs: ['b'] })], initializers: [externalTensor({ name: 'w_branch', dims: [4], location: 'branch.bin', offset: 0, length: 16 })], outputs: [{ name: 'b', dims: [4] }] });
  return model(
    graph({
      nodes: [
        node({ op: 'Constant', inputs: [], outputs: ['c'], tensorAttributes: { value: externalTensor({ name: 'c', dims: [4], location: 'model.onnx.data', offset: 64, length: 16 }) } }),
        node({ op: 'If', inputs: ['cond'], outputs: ['y'], graphAttributes: { then_branch: branch, else_branch: branch } }),
      ],
      initializers: [
        externalTensor({ name: 'w0', dims: [4], location: 'weights.pb', offset: 0, length: 16 }),
        externalTensor({ name: 'w1', dims: [4], location: 'model.onnx_data', offset: 4096, length: 16 }),
        externalTensor({ name: 'w2', dims: [4], location: './shards/part-2.bin', offset: 5 * GiB, length: 16 }), // offsets past 2^32
        externalTensor({ name: 'w3', dims: [4], location: 'weights.pb', offset: 16, length: 16 }),
        externalTensor({ name: 'w4', dims: [4], location: 'tail.bin', offset: 8 }), // no length: to the end of the file
        inlineTensor('inline', [1, 2, 3, 4]),
      ],
      outputs: [{ name: 'y', dims: [4] }],
    }),
  );
}

describe('externalDataReferences', () => {
  it('finds every externally stored tensor: initializers, Constant attributes, subgraphs; inline tensors are not listed', () => {
    const refs = externalDataReferences(manyFilesModel());
    expect(refs.map((r) => [r.tensor, r.location, r.offset, r.length])).toEqual([
      ['c', 'model.onnx.data', 64, 16],
      ['w_branch', 'branch.bin', 0, 16],
      ['w_branch', 'branch.bin', 0, 16], // then_branch and else_branch are the same graph here
      ['w0', 'weights.pb', 0, 16],
      ['w1', 'model.onnx_data', 4096, 16],
      ['w2', 'shards/part-2.bin', 5 * GiB, 16],
      ['w3', 'weights.pb', 16, 16],
      ['w4', 'tail.bin', 8, null],
    ]);
  });

  it('lists each file once with the bytes the graph reads from it', () => {
    expect(externalDataFiles(manyFilesModel())).toEqual([
      { location: 'model.onnx.data', bytesUsed: 80, tensors: 1 },
      { location: 'branch.bin', bytesUsed: 16, tensors: 2 },
      { location: 'weights.pb', bytesUsed: 32, tensors: 2 },
      { location: 'model.onnx_data', bytesUsed: 4112, tensors: 1 },
      { location: 'shards/part-2.bin', bytesUsed: 5 * GiB + 16, tensors: 1 },
      { location: 'tail.bin', bytesUsed: null, tensors: 1 },
    ]);
  });

  it('a model with its weights inline has no external data', () => {
    const m = model(graph({ nodes: [node({ op: 'Identity', inputs: ['w'], outputs: ['y'] })], initializers: [inlineTensor('w', [1, 2])], outputs: [{ name: 'y', dims: [2] }] }));
    expect(externalDataFiles(m)).toEqual([]);
  });

  it("reads the tiny fixture's UNet (saved by onnx in Python): all tensors in weights.pb, ending where the file ends", () => {
    const files = externalDataFiles(new Uint8Array(readFileSync('fixtures/tiny-sd-fp32/unet/model.onnx')));
    expect(files).toHaveLength(1);
    expect(files[0].location).toBe('weights.pb');
    expect(files[0].tensors).toBeGreaterThan(50);
    expect(files[0].bytesUsed).toBe(statSync('fixtures/tiny-sd-fp32/unet/weights.pb').size);
  });

  it('refuses locations outside the model folder, as onnxruntime does', () => {
    for (const location of ['../secrets.bin', '/etc/passwd', 'C:\\weights.bin', 'https://example.com/w.bin', 'a/../../b', '']) {
      const m = model(graph({ nodes: [], initializers: [externalTensor({ name: 'w', dims: [1], location, offset: 0, length: 4 })], outputs: [] }));
      expect(() => externalDataReferences(m, 'unet/model.onnx'), location).toThrow(ModelFormatError);
    }
    expect(normalizeExternalLocation('.\\shards\\a.bin')).toBe('shards/a.bin');
  });

  it('a damaged or truncated model is a ModelFormatError that says to download or export it again', () => {
    const m = manyFilesModel();
    expect(() => externalDataReferences(m.subarray(0, m.length - 7), 'unet/model.onnx')).toThrow(/unet\/model.onnx is not a readable ONNX model.*download or export it again/);
    expect(() => externalDataReferences(new TextEncoder().encode('<!doctype html><html>Not found</html>'))).toThrow(ModelFormatError);
  });
});
