/** `tokenize [--model DIR] TEXT`: prints {"input_ids":[...77 ids]} (plus token count / truncation on stderr). */
import { InvalidRequestError } from '../core/errors.js';
import { ClipTokenizer } from '../engine/text/tokenizer.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { parseFlags } from './args.js';
import { defaultModelDir } from './defaults.js';

export async function tokenizeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, { model: { type: 'string' } });
  if (positionals.length !== 1) throw new InvalidRequestError('tokenize takes exactly one TEXT argument (quote it).');
  const tokenizer = await ClipTokenizer.fromSource(new DirectoryModelSource(values.model ?? defaultModelDir()));
  const { inputIds, tokenCount, maxTokens, truncated } = tokenizer.tokenize(positionals[0]);
  console.log(JSON.stringify({ input_ids: Array.from(inputIds) }));
  console.error(`${tokenCount}/${maxTokens} tokens${truncated ? ' (truncated)' : ''}`);
}
