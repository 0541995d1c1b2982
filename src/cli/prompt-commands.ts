/**
 * `parse-prompt TEXT`: A1111's fragments as JSON, `[["text", 1.1], ["BREAK", -1], ...]`.
 * `encode [--model DIR] [--prompt-syntax plain|a1111] --out F.f32 TEXT`: the conditioning, float32
 * [1, 77k, C] row-major, written raw; prints its shape (and the chunk count on stderr). --out is
 * checked before the model loads and written whole or not at all, as generate's outputs.
 */
import { checkOutputPaths, writeFilesAtomically } from '../node/atomic-write.js';
import { InvalidRequestError } from '../core/errors.js';
import { parsePromptAttention } from '../core/prompt-parser.js';
import { checkPromptSyntax, type PromptSyntax } from '../core/prompt-syntax.js';
import { TextConditioner } from '../engine/text/text-conditioner.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { wasmRuntime } from '../node/ort-node.js';
import { parseFlags, requireFlag } from './args.js';
import { defaultModelDir } from './defaults.js';

function onlyText(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new InvalidRequestError(`${command} takes exactly one TEXT argument (quote it).`);
  return positionals[0];
}

/** The --prompt-syntax flag; the CLI's default is plain (diffusers' reading, so parity holds). */
export function promptSyntaxFlag(value: string | undefined): PromptSyntax {
  return checkPromptSyntax(value ?? 'plain', '--prompt-syntax');
}

export async function parsePromptCommand(argv: string[]): Promise<void> {
  const { positionals } = parseFlags(argv, {});
  console.log(JSON.stringify(parsePromptAttention(onlyText(positionals, 'parse-prompt'))));
}

export async function encodeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, { model: { type: 'string' }, 'prompt-syntax': { type: 'string' }, out: { type: 'string' } });
  const text = onlyText(positionals, 'encode');
  const syntax = promptSyntaxFlag(values['prompt-syntax']);
  const out = requireFlag(values.out, 'out');
  await checkOutputPaths([{ path: out, flag: 'out' }]);
  const conditioner = await TextConditioner.load(wasmRuntime(), new DirectoryModelSource(values.model ?? defaultModelDir()), ['wasm']);
  try {
    const { data, sequenceLength, width } = await conditioner.encode(text, syntax);
    await writeFilesAtomically([{ path: out, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }]);
    console.log(JSON.stringify([1, sequenceLength, width]));
    console.error(`${out}: float32 [1, ${sequenceLength}, ${width}] (${sequenceLength / 77} chunk${sequenceLength === 77 ? '' : 's'}, ${syntax} syntax)`);
  } finally {
    await conditioner.dispose();
  }
}
