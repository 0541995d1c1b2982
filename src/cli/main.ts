#!/usr/bin/env node
/**
 * Command line: generate / tokenize / noise. The engine in Node on onnxruntime-web's wasm backend.
 * The package's `sd-web` bin (compiled to dist/esm/cli/main.js by scripts/build-package.mjs).
 *   npm run cli -- generate --prompt "a blue cross on a yellow background" --seed 3 --out cross.png
 */
import { InvalidRequestError } from '../core/errors.js';
import { generateCommand } from './generate.js';
import { noiseCommand } from './noise.js';
import { encodeCommand, parsePromptCommand } from './prompt-commands.js';
import { tokenizeCommand } from './tokenize.js';
import { runMain } from '../node/run-main.js';

const USAGE = `Usage:
  npm run cli -- generate [--model DIR] --prompt TEXT [--negative-prompt TEXT] [--scheduler NAME]
                 [--steps N] [--guidance F] [--seed N | --latents FILE.f32] [--width W] [--height H]
                 [--eta F] [--timestep-spacing leading|linspace|trailing] [--prompt-syntax plain|a1111] [--lora FILE[:WEIGHT]]... [--lora-dir DIR] [--decoder full|tiny]
                 [--init-image FILE [--mask FILE] [--strength S]] --out FILE.png [--raw FILE.f32] [--runtime wasm|cpu]
                 [--no-safety-checker]
  npm run cli -- parse-prompt TEXT
  npm run cli -- encode [--model DIR] [--prompt-syntax plain|a1111] --out FILE.f32 TEXT
  npm run cli -- tokenize [--model DIR] TEXT
  npm run cli -- noise --seed N --shape 1,4,64,64 --out FILE.f32

The default model is the bundled demo, shapes-sd fp32 (public/models/ here, dist/lib/models/ in
the installed package, where the command is \`npx sd-web generate ...\`).
Prompt syntax: plain (default: diffusers, one 77-token chunk, cut at 75 tokens) or a1111
(AUTOMATIC1111: (word:1.3), [word], \\( literals, BREAK, up to 8 chunks of 75 tokens).
img2img: --init-image (PNG, JPEG or WebP; the output takes its size), --strength in (0, 1] (default 0.75).
Inpainting: add --mask (same size; white = repaint, black = keep).
--decoder: full (default: the model's VAE) or tiny (the tiny autoencoder, TAESD: taesd_decoder/ in the model
folder; fast, softer; img2img then encodes with taesd_encoder/ when present).
LoRAs (.safetensors, kohya or diffusers format): --lora FILE[:WEIGHT] (repeatable, weight 1), or
<lora:name:weight> in the prompt with --lora-dir DIR holding name.safetensors (AUTOMATIC1111's syntax).
Safety checker: a model folder with safety_checker/ runs it after decoding (as diffusers); a flagged
picture is withheld: no file, exit status 3. --no-safety-checker turns it off (diffusers' licence warning).
Schedulers: pndm (default), ddim, lms, euler, euler_a, heun, dpmpp_2m, dpmpp_2m_karras, unipc, lcm, tcd.
A picture in 4 steps: --scheduler lcm --steps 4 --guidance 1 (an LCM-distilled model or LoRA); --guidance 1
or less runs the UNet once a step, on the prompt alone. --eta: DDIM's eta / TCD's gamma, 0 to 1 (default 0).
--timestep-spacing: overrides the model's spacing for every scheduler (trailing: few-step DDIM, Hyper-SD).
--runtime: wasm (onnxruntime-web, default; a 4 GB heap) or cpu (onnxruntime-node's CPU EP, for real-size
SD v1.4 folders made with tools/prepare_model.py --target portable).
--prompt "" generates unconditionally. Width and height: multiples of the model's size multiple
(8 x 2^UNet down-samplings: 32 for shapes-sd, 64 for SD v1.4).
Exit status: 0 done, 2 bad input (flags, request, model folder, output paths), 1 failure at run time
(NaN output, a full disk). Errors print as one line (SD_DEBUG=1 adds the stack); outputs are written
whole or not at all.`;

/** Every command, by name (the unknown-command message lists them all from here). */
const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<void>>> = {
  generate: generateCommand,
  'parse-prompt': parsePromptCommand,
  encode: encodeCommand,
  tokenize: tokenizeCommand,
  noise: noiseCommand,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || ['help', '--help', '-h'].includes(command)) {
    console.log(USAGE);
    return;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) throw new InvalidRequestError(`Unknown command "${command}": use ${Object.keys(COMMANDS).join(', ')} or help (npm run cli -- help).`);
  return run(rest);
}

runMain(() => main(process.argv.slice(2)));
