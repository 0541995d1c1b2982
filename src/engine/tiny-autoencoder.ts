/**
 * The tiny autoencoder (TAESD, diffusers' `AutoencoderTiny`) as two optional parts of a model folder:
 *   taesd_decoder/model.onnx  latent_sample (B, 4, h, w) -> sample (B, 3, 8h, 8w) in [-1, 1]
 *   taesd_encoder/model.onnx  sample (B, 3, H, W) in [-1, 1] -> latent_sample (B, 4, H/8, W/8)
 * (`prepare_model.py --taesd`; the graphs hold AutoencoderTiny.decode / .encode whole: the tanh(x/3)*3
 * latent clamp and the [0, 1] <-> [-1, 1] maps are inside). With an AutoencoderTiny as its `vae`, diffusers'
 * StableDiffusionPipeline decodes `vae.decode(latents / vae.config.scaling_factor)` and img2img encodes
 * `vae.config.scaling_factor * vae.encode(x).latents`, with scaling_factor 1.0 (taesd_decoder/config.json, its default
 * here): the UNet's latents go in as they are. Each half loads on first use (a few MB, a session in
 * milliseconds) and is owned, and disposed, by the pipeline.
 */
import { readModelPart, type ModelFolder } from './model/model-folder.js';
import { OrtModel } from './runtime/ort-model.js';
import type { OrtModule, OrtSessionOptions } from './runtime/ort.js';

export interface TinyAutoencoderOptions {
  executionProviders: OrtSessionOptions['executionProviders'];
  gpuResidentInputs?: boolean;
}

type Half = 'taesd_decoder' | 'taesd_encoder';

export class TinyAutoencoder {
  #sessions = new Map<Half, Promise<OrtModel>>();

  constructor(
    private readonly ort: OrtModule,
    private readonly folder: ModelFolder,
    private readonly options: TinyAutoencoderOptions,
  ) {}

  /**
   * `AutoencoderTiny.decode(latents / scaling_factor).sample`: (1, 3, H, W) in [-1, 1] (not clamped: the
   * image conversion clamps, as diffusers' postprocess does). `dims`: the latents' (1, C, h, w).
   */
  async decode(latents: Float32Array, dims: readonly number[]): Promise<Float32Array> {
    const decoder = await this.#session('taesd_decoder');
    const s = this.folder.tinyScalingFactor;
    const input = s === 1 ? latents : latents.map((v) => v / s);
    const out = await decoder.run({ latent_sample: { data: input, dims } }, [decoder.outputs[0].name]);
    return Object.values(out)[0].data;
  }

  /** `scaling_factor * AutoencoderTiny.encode(image).latents` of a (1, 3, H, W) image in [-1, 1]: (1, 4, H/8, W/8). */
  async encode(image: Float32Array, width: number, height: number): Promise<Float32Array> {
    const encoder = await this.#session('taesd_encoder');
    const out = await encoder.run({ sample: { data: image, dims: [1, 3, height, width] } }, [encoder.outputs[0].name]);
    const latents = Object.values(out)[0].data;
    const s = this.folder.tinyScalingFactor;
    return s === 1 ? latents : latents.map((v) => v * s);
  }

  /** Loads the decoder now (previews from the first step), when the folder has one. */
  async warm(): Promise<void> {
    if (this.folder.hasTinyDecoder) await this.#session('taesd_decoder');
  }

  #session(half: Half): Promise<OrtModel> {
    let session = this.#sessions.get(half);
    if (!session) {
      session = (async () => {
        const { model, externalData } = await readModelPart(this.folder.source, half);
        return OrtModel.create(half, this.ort, model, {
          executionProviders: this.options.executionProviders,
          externalData,
          gpuResidentInputs: this.options.gpuResidentInputs,
        });
      })();
      session.catch(() => this.#sessions.delete(half)); // a later request may try again
      this.#sessions.set(half, session);
    }
    return session;
  }

  async dispose(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(
      sessions.map((s) =>
        s.then(
          (m) => m.dispose(),
          () => undefined,
        ),
      ),
    );
  }
}
