/**
 * Request sizes the backend cannot hold are refused before any work (issue 25 item 6), with the
 * largest that fits, instead of onnxruntime's bad_alloc / "Integer overflow" / "Tensor shape is too
 * large" from inside a run; and a bad_alloc while creating a session is a ModelTooLargeError, not
 * "check that the file is a complete ONNX model". Calibration (model-fit.ts, WASM_SCORE_COPIES): shapes-sd
 * fp32, 1 step, on onnxruntime-web's wasm in Node: 512, 640, 672 and 704 ran (peak RSS 1.65, 3.20, 3.73,
 * 4.38 GB), 768 failed with std::bad_alloc (3.25 GB).
 */
import { describe, expect, it } from 'vitest';
import { ModelFormatError, ModelTooLargeError } from '../../core/errors.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { folderGeometry, openModelFolder } from '../model/model-folder.js';
import { SD_V1_GEOMETRY, unetAttentionFromConfig } from '../model/model-geometry.js';
import { activationsFit, attentionScoreBytes, checkActivations, largestFittingSide } from './model-fit.js';
import { explainRunError, explainSessionError } from './session-errors.js';

const wasm = { backend: 'wasm' } as const;

describe('the UNet attention read from unet/config.json', () => {
  it('shapes-sd: 4 heads at level 0; SD v1.4: 8 heads at level 0; no attention block: null', async () => {
    const shapes = folderGeometry(await openModelFolder(new DirectoryModelSource('public/models/shapes-sd-fp32')));
    expect(shapes.attention).toEqual({ heads: 4, level: 0 });
    expect(
      unetAttentionFromConfig({
        down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
        attention_head_dim: 8,
      }),
    ).toEqual({ heads: 8, level: 0 });
    expect(unetAttentionFromConfig({ down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'], num_attention_heads: [5, 10] })).toEqual({
      heads: 10,
      level: 1,
    });
    expect(unetAttentionFromConfig({ down_block_types: ['DownBlock2D'] })).toBeNull();
  });
});

describe('checkActivations on wasm', () => {
  it('shapes-sd at batch 2: 512 to 704 fit (measured), 768 does not (bad_alloc measured), the largest is 704', async () => {
    const shapes = folderGeometry(await openModelFolder(new DirectoryModelSource('public/models/shapes-sd-fp32')));
    expect(attentionScoreBytes(shapes, 768, 768, 2)).toBe(2 * 4 * 9216 ** 2 * 4);
    expect(activationsFit(shapes, 512, 512, 2, wasm)).toBe(true);
    expect(activationsFit(shapes, 640, 640, 2, wasm)).toBe(true);
    expect(activationsFit(shapes, 768, 768, 2, wasm)).toBe(false);
    expect(activationsFit(shapes, 704, 704, 2, wasm)).toBe(true);
    expect(largestFittingSide(shapes, 2, wasm)).toBe(704);
    for (const size of [768, 1024, 2048]) {
      expect(() => checkActivations('shapes-sd-fp32', shapes, size, size, 2, wasm), String(size)).toThrow(ModelTooLargeError);
    }
    expect(() => checkActivations('shapes-sd-fp32', shapes, 768, 768, 2, wasm)).toThrow(
      /^shapes-sd-fp32 at 768x768 needs about .* The largest size that fits is 704x704 \(or another shape with at most 495616 pixels\)\./,
    );
    // Other backends are not estimated here; without guidance (batch 1) more fits.
    expect(() => checkActivations('shapes-sd-fp32', shapes, 2048, 2048, 2, { backend: 'cpu' })).not.toThrow();
    expect(largestFittingSide(shapes, 1, wasm)).toBeGreaterThan(704);
  });

  it('SD v1.4 with 1.7 GB of fp16 weights on wasm (the estimate, not measured): 512x512 (2 x 1.07 GB of scores) fits, 576 does not', () => {
    expect(attentionScoreBytes(SD_V1_GEOMETRY, 512, 512, 2)).toBe(2 * 8 * 4096 ** 2 * 4);
    expect(largestFittingSide(SD_V1_GEOMETRY, 2, wasm, 1.7e9)).toBe(512);
  });
});

describe('onnxruntime running out of memory is named as such', () => {
  it('a bad_alloc while creating a session is ModelTooLargeError, not "a complete ONNX model"', () => {
    const error = explainSessionError('unet', 'wasm', new Error('std::bad_alloc'));
    expect(error).toBeInstanceOf(ModelTooLargeError);
    expect(error.message).toMatch(/^The unet model does not fit in the wasm \(CPU\) backend's memory \(onnxruntime: std::bad_alloc\); nothing is damaged\./);
    expect(error.message).not.toContain('complete ONNX model');
    expect(explainSessionError('unet', 'wasm', new Error('protobuf parsing failed'))).toBeInstanceOf(ModelFormatError);
  });

  it('"Integer overflow" and "Tensor shape is too large" in a run say which size, without build paths', () => {
    const overflow = explainRunError(
      'unet',
      'wasm',
      new Error(
        'failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: /onnxruntime/onnxruntime/core/common/safeint.h:17 static void SafeIntExceptionHandler<onnxruntime::OnnxRuntimeException>::SafeIntOnOverflow() Integer overflow',
      ),
      1024,
      1024,
    );
    expect(overflow).toBeInstanceOf(ModelTooLargeError);
    expect((overflow as Error).message).toMatch(/ran out of .* memory at 1024x1024/);
    expect((overflow as Error).message).not.toContain('/onnxruntime/');
    const other = new Error('something else');
    expect(explainRunError('unet', 'wasm', other, 64, 64)).toBe(other);
  });
});
