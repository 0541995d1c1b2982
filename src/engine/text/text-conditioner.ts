/**
 * Tokenizer + text encoder: a prompt in either syntax to its conditioning (1, 77k, C). The pipeline
 * owns one; the CLI's `encode` loads only these two parts.
 */
import type { PromptSyntax } from '../../core/prompt-syntax.js';
import { encodeChunks, type Conditioning } from './conditioning.js';
import { readModelPart } from '../model/model-folder.js';
import type { ModelSource } from '../model/model-source.js';
import { OrtModel } from '../runtime/ort-model.js';
import type { OrtModule, OrtSessionOptions } from '../runtime/ort.js';
import { checkPromptLength, ClipTokenizer, type PromptTokens } from './tokenizer.js';

export class TextConditioner {
  constructor(
    readonly tokenizer: ClipTokenizer,
    private readonly textEncoder: OrtModel,
  ) {}

  static async load(ort: OrtModule, source: ModelSource, executionProviders: OrtSessionOptions['executionProviders']): Promise<TextConditioner> {
    const tokenizer = await ClipTokenizer.fromSource(source);
    const { model, externalData } = await readModelPart(source, 'text_encoder');
    return new TextConditioner(tokenizer, await OrtModel.create('text_encoder', ort, model, { executionProviders, externalData }));
  }

  /** The chunks for `text`, refused (InvalidRequestError) past the chunk limit; `label` names it in the message. */
  promptTokens(text: string, syntax: PromptSyntax, label = 'prompt'): PromptTokens {
    const tokens = this.tokenizer.promptTokens(text, syntax);
    checkPromptLength(tokens, label);
    return tokens;
  }

  encode(text: string, syntax: PromptSyntax): Promise<Conditioning> {
    return this.encodeTokens(this.promptTokens(text, syntax));
  }

  /** Each chunk's last_hidden_state, weighted (A1111's "Original" emphasis) and concatenated. */
  encodeTokens(tokens: PromptTokens): Promise<Conditioning> {
    return encodeChunks(tokens.chunks, async (ids) => {
      const out = await this.textEncoder.run({ input_ids: { data: ids, dims: [1, ids.length] } }, [this.textEncoder.outputs[0].name]);
      return Object.values(out)[0].data;
    });
  }

  dispose(): Promise<void> {
    return this.textEncoder.dispose();
  }
}
