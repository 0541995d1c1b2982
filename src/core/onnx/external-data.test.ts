/**
 * External-data discovery from the graph: synthetic models written with src/testing/onnx-proto.ts
 * (onnx.proto3 field numbers), and the UNet of the committed tiny fixture (written by onnx.save_model
 * in Python, ../shared/tools/make_fixtures.py: all its weights in unet/weights.pb).
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { externalDataFiles, externalDataReferences, normalizeExternalLocation } from './external-data.js';
import { float32Tensor, graphProto, modelProto, tensorProto } from './onnx-write.js';

const GiB = 2 ** 30;

function manyFilesModel(): Uint8Array {
  const branch = graphProto({
    nodes: [{ op: 'Identity', inputs: ['w_branch'], outputs: ['b'] }],
    initializers: [tensorProto({ name: 'w_branch', dims: [4], external: { location: 'branch.bin', offset: 0, length: 16 } })],
    outputs: [{ name: 'b', dims: [4] }],
  });
  return modelProto(
    graphProto({
      nodes: [
        {
          op: 'Constant',
          inputs: [],
          outputs: ['c'],
          attributes: { value: { tensor: tensorProto({ name: 'c', dims: [4], external: { location: 'model.onnx.data', offset: 64, length: 16 } }) } },
        },
        { op: 'If', inputs: ['cond'], outputs: ['y'], attributes: { then_branch: { graph: branch }, else_branch: { graph: branch } } },
      ],
      initializers: [
        tensorProto({ name: 'w0', dims: [4], external: { location: 'weights.pb', offset: 0, length: 16 } }),
        tensorProto({ name: 'w1', dims: [4], external: { location: 'model.onnx_data', offset: 4096, length: 16 } }),
        tensorProto({ name: 'w2', dims: [4], external: { location: './shards/part-2.bin', offset: 5 * GiB, length: 16 } }), // offsets past 2^32
        tensorProto({ name: 'w3', dims: [4], external: { location: 'weights.pb', offset: 16, length: 16 } }),
        tensorProto({ name: 'w4', dims: [4], external: { location: 'tail.bin', offset: 8 } }), // no length: to the end of the file
        float32Tensor('inline', [1, 2, 3, 4]),
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
    const m = modelProto(
      graphProto({
        nodes: [{ op: 'Identity', inputs: ['w'], outputs: ['y'] }],
        initializers: [float32Tensor('w', [1, 2])],
        outputs: [{ name: 'y', dims: [2] }],
      }),
    );
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
      const m = modelProto(
        graphProto({ nodes: [], initializers: [tensorProto({ name: 'w', dims: [1], external: { location, offset: 0, length: 4 } })], outputs: [] }),
      );
      expect(() => externalDataReferences(m, 'unet/model.onnx'), location).toThrow(ModelFormatError);
    }
    expect(normalizeExternalLocation('.\\shards\\a.bin')).toBe('shards/a.bin');
  });

  it('a damaged or truncated model is a ModelFormatError that says to download or export it again', () => {
    const m = manyFilesModel();
    expect(() => externalDataReferences(m.subarray(0, m.length - 7), 'unet/model.onnx')).toThrow(
      /unet\/model.onnx is not a readable ONNX model.*download or export it again/,
    );
    expect(() => externalDataReferences(new TextEncoder().encode('<!doctype html><html>Not found</html>'))).toThrow(ModelFormatError);
  });
});
