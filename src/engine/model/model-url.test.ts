import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../core/errors.js';
import { fileUrl, modelNameFromUrl, normaliseModelUrl } from './model-url.js';

describe('normaliseModelUrl', () => {
  it.each([
    ['https://huggingface.co/ORG/REPO', 'https://huggingface.co/ORG/REPO/resolve/main/'],
    ['https://hf.co/ORG/REPO/', 'https://huggingface.co/ORG/REPO/resolve/main/'],
    ['https://huggingface.co/ORG/REPO/tree/onnx', 'https://huggingface.co/ORG/REPO/resolve/onnx/'],
    ['https://huggingface.co/ORG/REPO/resolve/main/model_index.json', 'https://huggingface.co/ORG/REPO/resolve/main/'],
    ['https://huggingface.co/ORG/REPO/resolve/main?download=true#x', 'https://huggingface.co/ORG/REPO/resolve/main/'],
    ['https://HOST.example//models//sd', 'https://host.example/models/sd/'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseModelUrl(input)).toBe(expected);
  });

  it('resolves a bundled folder against the page or worker location', () => {
    expect(normaliseModelUrl('models/shapes-sd-fp16', 'https://app.example/sd/index.html')).toBe('https://app.example/sd/models/shapes-sd-fp16/');
  });

  it('rejects what is not an http(s) URL, saying what to give', () => {
    expect(() => normaliseModelUrl('models/x', undefined)).toThrow(InvalidRequestError);
    expect(() => normaliseModelUrl('file:///tmp/x/')).toThrow(/http/);
  });

  it('names models for messages', () => {
    expect(modelNameFromUrl('https://huggingface.co/ORG/REPO/resolve/main/')).toBe('ORG/REPO');
    expect(modelNameFromUrl('https://huggingface.co/ORG/REPO/resolve/onnx/fp16/')).toBe('ORG/REPO/fp16@onnx');
    expect(modelNameFromUrl('http://127.0.0.1:8080/models/tiny-sd/')).toBe('tiny-sd');
  });

  it('escapes file paths segment by segment', () => {
    expect(fileUrl('https://h.example/m/', 'unet/weights.pb')).toBe('https://h.example/m/unet/weights.pb');
    expect(fileUrl('https://h.example/m/', 'a b/c#d')).toBe('https://h.example/m/a%20b/c%23d');
  });
});
