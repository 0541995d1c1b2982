/**
 * A damaged tokenizer folder is a model-folder problem (issue 25 item 12): ModelFormatError naming the
 * file, not a bare SyntaxError or transformers.js' "Tokenizer must contain a model property".
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { ClipTokenizer } from './tokenizer.js';

function folderWith(file: string, text: string): string {
  const model = mkdtempSync(join(tmpdir(), 'sd-tok-'));
  cpSync('fixtures/tiny-sd-fp16/tokenizer', join(model, 'tokenizer'), { recursive: true });
  writeFileSync(join(model, 'tokenizer', file), text);
  return model;
}

describe('ClipTokenizer.fromSource on a damaged tokenizer folder', () => {
  it.each([
    ['tokenizer.json', '{"model": {', /tokenizer\/tokenizer\.json is not valid JSON/],
    ['tokenizer.json', '{}', /tokenizer\/tokenizer\.json is not a tokenizer this engine can read: Tokenizer must contain a "?model"? property/],
    ['vocab.json', '[1, 2', /tokenizer\/vocab\.json is not valid JSON/],
    ['tokenizer_config.json', 'nope', /tokenizer\/tokenizer_config\.json is not valid JSON/],
  ])('%s = %s: ModelFormatError naming the file', async (file, text, message) => {
    const error = await ClipTokenizer.fromSource(new DirectoryModelSource(folderWith(file, text))).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ModelFormatError', message: expect.stringMatching(message) });
  });
});
