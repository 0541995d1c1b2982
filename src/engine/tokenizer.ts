/**
 * CLIP tokenizer (SD v1.4 uses openai/clip-vit-large-patch14's) through @huggingface/transformers.
 * Reads `tokenizer/tokenizer.json` when present; the real SD v1.4 repository ships only
 * `vocab.json` + `merges.txt`, from which we build the same fast-tokenizer description
 * (normaliser, pre-tokeniser and post-processor of CLIP's tokenizer.json).
 */
import { CLIPTokenizer } from '@huggingface/transformers';
import { ModelFileMissingError } from '../core/errors.js';
import type { ModelSource } from './model-source.js';

export const MAX_LENGTH = 77;
export const BOS_TOKEN_ID = 49406;
export const EOS_TOKEN_ID = 49407;

export interface Tokenized {
  /** Always MAX_LENGTH ids: BOS, tokens, EOS, padded with EOS (pad = EOS for CLIP). */
  inputIds: Int32Array;
  /** Tokens of the prompt itself (without BOS/EOS), before truncation. */
  tokenCount: number;
  /** How many prompt tokens fit (MAX_LENGTH - 2). */
  maxTokens: number;
  truncated: boolean;
}

type TokenizerJson = Record<string, unknown>;

export class ClipTokenizer {
  private constructor(private readonly tokenizer: CLIPTokenizer) {}

  static async fromSource(source: ModelSource): Promise<ClipTokenizer> {
    const config = (await source.has('tokenizer/tokenizer_config.json'))
      ? (JSON.parse(await source.readText('tokenizer/tokenizer_config.json')) as Record<string, unknown>)
      : {};
    let json: TokenizerJson;
    if (await source.has('tokenizer/tokenizer.json')) {
      json = JSON.parse(await source.readText('tokenizer/tokenizer.json')) as TokenizerJson;
    } else if ((await source.has('tokenizer/vocab.json')) && (await source.has('tokenizer/merges.txt'))) {
      json = clipTokenizerJson(JSON.parse(await source.readText('tokenizer/vocab.json')) as Record<string, number>, await source.readText('tokenizer/merges.txt'));
    } else {
      throw new ModelFileMissingError(`The model "${source.name}" has no tokenizer: expected tokenizer/tokenizer.json or tokenizer/vocab.json + tokenizer/merges.txt.`);
    }
    return new ClipTokenizer(new CLIPTokenizer(json, { ...plainConfig(config), model_max_length: MAX_LENGTH }));
  }

  tokenize(text: string): Tokenized {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false });
    const maxTokens = MAX_LENGTH - 2;
    const kept = ids.slice(0, maxTokens);
    const inputIds = new Int32Array(MAX_LENGTH).fill(EOS_TOKEN_ID);
    inputIds[0] = BOS_TOKEN_ID;
    inputIds.set(kept, 1);
    return { inputIds, tokenCount: ids.length, maxTokens, truncated: ids.length > maxTokens };
  }
}

/** tokenizer_config.json from the slow-tokenizer era wraps tokens as {__type: "AddedToken", content}. */
function plainConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = value && typeof value === 'object' && 'content' in value ? (value as { content: unknown }).content : value;
  }
  return out;
}

/**
 * The tokenizer.json that `CLIPTokenizerFast` would write for these vocab/merges files. Like the slow
 * CLIPTokenizer, it keeps merges[1 : 49152 - 256 - 2 + 1] (the first line is "#version").
 */
export function clipTokenizerJson(vocab: Record<string, number>, mergesText: string): TokenizerJson {
  const merges = mergesText.split('\n').slice(1, 49152 - 256 - 2 + 1).filter((line) => line.length > 0).map((line) => line.split(' '));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(BOS_TOKEN_ID, '<|startoftext|>'), special(EOS_TOKEN_ID, '<|endoftext|>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', EOS_TOKEN_ID], cls: ['<|startoftext|>', BOS_TOKEN_ID], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
