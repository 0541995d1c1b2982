/**
 * CLIP tokenizer (SD v1.4 uses openai/clip-vit-large-patch14's) through @huggingface/transformers.
 * Reads `tokenizer/tokenizer.json` when present; the real SD v1.4 repository ships only
 * `vocab.json` + `merges.txt`, from which we build the same fast-tokenizer description
 * (normaliser, pre-tokeniser and post-processor of CLIP's tokenizer.json).
 */
import { CLIPTokenizer } from '@huggingface/transformers';
import { InvalidRequestError, ModelFileMissingError, ModelFormatError } from '../../core/errors.js';
import { chunkPrompt, CHUNK_LENGTH, type ChunkTokens, type SpecialTokens } from '../../core/prompt-chunks.js';
import { parsePromptAttention } from '../../core/prompt-parser.js';
import { MAX_PROMPT_CHUNKS, type PromptSyntax } from '../../core/prompt-syntax.js';
import type { ModelSource } from '../model/model-source.js';

export const MAX_LENGTH = 77;
export const BOS_TOKEN_ID = 49406;
export const EOS_TOKEN_ID = 49407;

export interface Tokenized {
  /** Always MAX_LENGTH ids: BOS, tokens, EOS, padded with EOS (pad = EOS for CLIP); a1111: the first chunk's. */
  inputIds: Int32Array;
  /** Tokens of the prompt itself (without BOS/EOS), before truncation; a1111: A1111's count (75 per chunk before the last). */
  tokenCount: number;
  /** How many prompt tokens fit: 75 (plain); a1111: 75 x chunks, A1111's "N/150". */
  maxTokens: number;
  /** plain only: tokens after the 75th are cut off. */
  truncated: boolean;
  /** Each 77-token chunk's own prompt tokens and their text (decoded, lower case), to show where chunks break. */
  chunks: { tokenCount: number; text: string }[];
}

/** A prompt as the text encoder reads it: 77-token chunks with a weight per token. */
export interface PromptTokens {
  syntax: PromptSyntax;
  chunks: ChunkTokens[];
  tokenCount: number;
  maxTokens: number;
  truncated: boolean;
}

type TokenizerJson = Record<string, unknown>;

/** A tokenizer file parsed as JSON, or ModelFormatError naming it: a damaged file is a model-folder problem. */
async function readJsonFile<T>(source: ModelSource, path: string): Promise<T> {
  const text = await source.readText(path);
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('it holds no JSON object');
    return value as T;
  } catch (error) {
    throw new ModelFormatError(
      `The model "${source.name}": ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}). Download or export the tokenizer again.`,
    );
  }
}

export class ClipTokenizer {
  private constructor(private readonly tokenizer: CLIPTokenizer) {}

  static async fromSource(source: ModelSource): Promise<ClipTokenizer> {
    const config = (await source.has('tokenizer/tokenizer_config.json'))
      ? await readJsonFile<Record<string, unknown>>(source, 'tokenizer/tokenizer_config.json')
      : {};
    let json: TokenizerJson;
    let file = 'tokenizer/tokenizer.json';
    if (await source.has(file)) {
      json = await readJsonFile<TokenizerJson>(source, file);
    } else if ((await source.has('tokenizer/vocab.json')) && (await source.has('tokenizer/merges.txt'))) {
      file = 'tokenizer/vocab.json';
      json = clipTokenizerJson(await readJsonFile<Record<string, number>>(source, file), await source.readText('tokenizer/merges.txt'));
    } else {
      throw new ModelFileMissingError(
        `The model "${source.name}" has no tokenizer: expected tokenizer/tokenizer.json or tokenizer/vocab.json + tokenizer/merges.txt.`,
      );
    }
    try {
      return new ClipTokenizer(new CLIPTokenizer(json, { ...plainConfig(config), model_max_length: MAX_LENGTH }));
    } catch (error) {
      throw new ModelFormatError(
        `The model "${source.name}": ${file} is not a tokenizer this engine can read: ${error instanceof Error ? error.message : String(error)}. Export the tokenizer again (save_pretrained) or copy it from the model's repository.`,
      );
    }
  }

  /** The counter's view of a prompt: ids of the first chunk, counts, and where chunks break. */
  tokenize(text: string, syntax: PromptSyntax = 'plain'): Tokenized {
    const prompt = this.promptTokens(text, syntax);
    const chunks = prompt.chunks.map((chunk) => ({ tokenCount: chunk.tokenCount, text: this.decode(chunk.ids.slice(1, 1 + chunk.tokenCount)) }));
    const { tokenCount, maxTokens, truncated } = prompt;
    return { inputIds: Int32Array.from(prompt.chunks[0].ids), tokenCount, maxTokens, truncated, chunks };
  }

  /**
   * The chunks the text encoder reads. plain: one chunk, the first 75 tokens, weights 1 (diffusers).
   * a1111: A1111's emphasis and chunking (src/core/prompt-parser.ts, prompt-chunks.ts).
   */
  promptTokens(text: string, syntax: PromptSyntax): PromptTokens {
    if (syntax === 'a1111') {
      const { chunks, tokenCount, maxTokens } = chunkPrompt(parsePromptAttention(text), (fragment) => this.encode(fragment), this.specialTokens);
      return { syntax, chunks, tokenCount, maxTokens, truncated: false };
    }
    const ids = this.encode(text);
    const kept = ids.slice(0, CHUNK_LENGTH);
    const padding = new Array<number>(CHUNK_LENGTH - kept.length).fill(EOS_TOKEN_ID);
    const chunk: ChunkTokens = {
      ids: [BOS_TOKEN_ID, ...kept, ...padding, EOS_TOKEN_ID],
      weights: new Array<number>(MAX_LENGTH).fill(1),
      tokenCount: kept.length,
    };
    return { syntax, chunks: [chunk], tokenCount: ids.length, maxTokens: CHUNK_LENGTH, truncated: ids.length > CHUNK_LENGTH };
  }

  /** One text's ids without BOS/EOS and without truncation (A1111 tokenises each fragment so). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[]): string {
    return ids.length === 0 ? '' : this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  get specialTokens(): SpecialTokens {
    return { bos: BOS_TOKEN_ID, eos: EOS_TOKEN_ID, comma: this.tokenizer.get_vocab().get(',</w>') ?? -1 };
  }
}

/** Refuses, before any work, a prompt with more chunks than the engine takes (MAX_PROMPT_CHUNKS). */
export function checkPromptLength(prompt: PromptTokens, label: string): void {
  if (prompt.chunks.length > MAX_PROMPT_CHUNKS) {
    throw new InvalidRequestError(
      `The ${label} needs ${prompt.chunks.length} chunks of 75 tokens (${prompt.tokenCount} tokens); the limit is ${MAX_PROMPT_CHUNKS} chunks (${MAX_PROMPT_CHUNKS * CHUNK_LENGTH} tokens). Shorten it.`,
    );
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
  const merges = mergesText
    .split('\n')
    .slice(1, 49152 - 256 - 2 + 1)
    .filter((line) => line.length > 0)
    .map((line) => line.split(' '));
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
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['<|endoftext|>', EOS_TOKEN_ID],
      cls: ['<|startoftext|>', BOS_TOKEN_ID],
      trim_offsets: false,
      add_prefix_space: false,
    },
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
