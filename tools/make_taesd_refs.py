"""Tiny-autoencoder (TAESD, diffusers' AutoencoderTiny) references for src/engine/taesd.test.ts.

1. A random-initialised AutoencoderTiny of the default architecture (torch.manual_seed(SEED)), exported with
   torch.onnx.export (TorchScript exporter, opset 17, dynamic batch/height/width) in the layout
   `prepare_model.py --taesd` writes:
     taesd_decoder/model.onnx  latent_sample [B,4,h,w] -> sample [B,3,8h,8w] in [-1,1]: AutoencoderTiny.decode(x).sample
                               (the tanh(x/3)*3 latent clamp and the [0,1] -> [-1,1] map included)
     taesd_encoder/model.onnx  sample [B,3,H,W] in [-1,1] -> latent_sample [B,4,H/8,W/8]: AutoencoderTiny.encode(x).latents
     */config.json             the AutoencoderTiny config (scaling_factor 1.0)
   One shared copy (fixtures/taesd/random/, ~10 MB fp32); the tests lay it beside a model folder's parts.
2. Pictures from diffusers' StableDiffusionPipeline / StableDiffusionImg2ImgPipeline with `vae=` that
   AutoencoderTiny (so the pipeline decodes `vae.decode(latents / 1.0)` and img2img encodes with
   `encode(x).latents * 1.0`):
   - the tiny fixture (torch, rebuilt by make_tiny_checkpoint.build_tiny, bit for bit the fixture's weights);
   - shapes-sd (public/models/shapes-sd-fp32): its text encoder and UNet as the folder's ONNX on onnxruntime CPU
     wrapped as torch modules (the torch checkpoint is not on this machine; as tools/make_img2img_refs.py).

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_taesd_refs.py fixtures/taesd

Writes OUT/random/{taesd_decoder,taesd_encoder}/, OUT/manifest.json and per case the final latents and the image
(1x3xHxW in [0,1], diffusers' output_type="np") as raw little-endian float32.
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ref_arrays import save  # noqa: E402
from make_tiny_checkpoint import SCHEDULER, build_tiny  # noqa: E402

SEED = 22
ROOT = os.path.join(HERE, "..")
TINY = os.path.join(ROOT, "fixtures", "tiny-sd-fp32")
SHAPES = os.path.join(ROOT, "public", "models", "shapes-sd-fp32")
CASES = [
    dict(id="tiny_pndm", model="tiny-sd-fp32", prompt="a red circle on a blue background", negative_prompt="", scheduler="pndm",
         steps=10, guidance=7.5, seed=1),
    dict(id="tiny_euler_a_negative", model="tiny-sd-fp32", prompt="a yellow star", negative_prompt="blurry", scheduler="euler_a",
         steps=8, guidance=7.0, seed=11),
    dict(id="shapes_pndm", model="shapes-sd-fp32", prompt="a red circle on a blue background", negative_prompt="", scheduler="pndm",
         steps=20, guidance=7.5, seed=0),
    dict(id="shapes_dpmpp_2m", model="shapes-sd-fp32", prompt="a blue cross on a yellow background", negative_prompt="green",
         scheduler="dpmpp_2m", steps=12, guidance=7.5, seed=3),
    dict(id="shapes_i2i_euler", model="shapes-sd-fp32", prompt="a green triangle on a white background", negative_prompt="",
         scheduler="euler", steps=12, guidance=7.5, seed=5, init_image="init_B.png", strength=0.6),
]
SCHEDULERS = {"pndm": "PNDMScheduler", "ddim": "DDIMScheduler", "euler": "EulerDiscreteScheduler",
              "euler_a": "EulerAncestralDiscreteScheduler", "dpmpp_2m": "DPMSolverMultistepScheduler"}


def rescale_last_conv(conv, output, std, mean):
    """Scale a conv's weights and shift its bias so that `output` (what it gave) would have this std and mean."""
    k = std / float(output.std())
    conv.weight.mul_(k)
    conv.bias.copy_((conv.bias - float(output.mean())) * k + mean)


def build_taesd():
    """AutoencoderTiny(), default architecture, torch's default init from torch.manual_seed(SEED); then each half's
    last conv rescaled (weights times k, bias shifted) so its output is not degenerate: with torch's default init
    the decoder's [0, 1] output is -0.03 +- 0.03, i.e. a picture clamped to black everywhere, which a test could
    not tell from any other; rescaled it is 0.5 +- 0.25 for N(0, 1) latents, and the encoder's latents 0 +- 1 for
    uniform pictures. Every operator and the decode/encode maths are untouched."""
    from diffusers import AutoencoderTiny
    torch.manual_seed(SEED)
    vae = AutoencoderTiny().eval()
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        latents = torch.tanh(torch.randn(2, 4, 16, 16, generator=g) / 3) * 3
        rescale_last_conv(vae.decoder.layers[-1], vae.decoder.layers(latents), 0.25, 0.5)
        rescale_last_conv(vae.encoder.layers[-1], vae.encoder(torch.rand(2, 3, 128, 128, generator=g) * 2 - 1), 1.0, 0.0)
    return vae


def export_taesd(vae, out):
    class Decode(torch.nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, latent_sample):
            return self.vae.decode(latent_sample).sample

    class Encode(torch.nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, sample):
            return self.vae.encode(sample).latents

    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(vae.config).items()}
    for part, module, x, names, axes in (
        ("taesd_decoder", Decode(vae), torch.zeros(1, 4, 16, 16), (["latent_sample"], ["sample"]),
         {"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}}),
        ("taesd_encoder", Encode(vae), torch.zeros(1, 3, 128, 128), (["sample"], ["latent_sample"]),
         {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "height", 3: "width"}}),
    ):
        os.makedirs(os.path.join(out, part), exist_ok=True)
        with torch.no_grad():
            torch.onnx.export(module, (x,), os.path.join(out, part, "model.onnx"), dynamo=False, input_names=names[0],
                              output_names=names[1], dynamic_axes=axes, opset_version=17, do_constant_folding=True)
        with open(os.path.join(out, part, "config.json"), "w") as f:
            json.dump(config, f, indent=2)


class Config(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Onnx(torch.nn.Module):
    """An ONNX session as a torch module (float32 in and out), as tools/make_img2img_refs.py."""
    device = torch.device("cpu")
    dtype = torch.float32

    def __init__(self, path, config):
        super().__init__()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.config = Config(config)

    def _run(self, **feeds):
        return [torch.from_numpy(o) for o in self.session.run(None, feeds)]


class TextEncoder(Onnx):
    def forward(self, input_ids, attention_mask=None, output_hidden_states=False):
        return self._run(input_ids=input_ids.numpy().astype(np.int32))


class Unet(Onnx):
    def forward(self, sample, t, encoder_hidden_states, return_dict=False, **_):
        t = torch.as_tensor(t, dtype=torch.float32).reshape(-1).expand(sample.shape[0]).contiguous()
        return self._run(sample=sample.numpy(), timestep=t.numpy(), encoder_hidden_states=encoder_hidden_states.numpy())


def model_parts(name):
    from transformers import CLIPTokenizer
    if name == "tiny-sd-fp32":
        with open(os.path.join(TINY, "tiny_config.json")) as f:
            unet, _, text_encoder = build_tiny(json.load(f))
        return dict(unet=unet, text_encoder=text_encoder, tokenizer=CLIPTokenizer.from_pretrained(os.path.join(TINY, "tokenizer")),
                    scheduler_config=SCHEDULER)
    cfg = lambda part: json.load(open(os.path.join(SHAPES, part, "config.json")))
    return dict(unet=Unet(os.path.join(SHAPES, "unet", "model.onnx"), cfg("unet")),
                text_encoder=TextEncoder(os.path.join(SHAPES, "text_encoder", "model.onnx"), cfg("text_encoder")),
                tokenizer=CLIPTokenizer.from_pretrained(os.path.join(SHAPES, "tokenizer")),
                scheduler_config=json.load(open(os.path.join(SHAPES, "scheduler", "scheduler_config.json"))))


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    import diffusers
    from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionPipeline
    from PIL import Image
    vae = build_taesd()
    export_taesd(vae, os.path.join(out, "random"))
    models = {}
    cases = []
    for case in CASES:
        parts = models.setdefault(case["model"], model_parts(case["model"]))
        scheduler = getattr(diffusers, SCHEDULERS[case["scheduler"]]).from_config(parts["scheduler_config"])
        kind = StableDiffusionImg2ImgPipeline if "init_image" in case else StableDiffusionPipeline
        pipe = kind(vae=vae, text_encoder=parts["text_encoder"], tokenizer=parts["tokenizer"], unet=parts["unet"], scheduler=scheduler,
                    safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        kw = dict(prompt=case["prompt"], negative_prompt=case["negative_prompt"] or None, num_inference_steps=case["steps"],
                  guidance_scale=case["guidance"])
        if "init_image" in case:
            # the picture as a contiguous [0, 1] float tensor (the same values as the PNG; see make_img2img_refs.py)
            pil = Image.open(os.path.join(ROOT, "fixtures", "img2img", "extra", case["init_image"])).convert("RGB")
            pil.save(os.path.join(out, case["init_image"]))
            kw.update(image=torch.from_numpy(np.array(pil).astype(np.float32) / 255.0).permute(2, 0, 1)[None].contiguous(),
                      strength=case["strength"])
        else:
            kw.update(height=128, width=128)
        with torch.no_grad():
            image = pipe(**kw, generator=torch.Generator().manual_seed(case["seed"]), output_type="np").images
            latents = pipe(**kw, generator=torch.Generator().manual_seed(case["seed"]), output_type="latent").images
        entry = dict(case, latents=save(out, f"{case['id']}_latents.f32", latents.numpy()),
                     image=save(out, f"{case['id']}_image.f32", np.transpose(image, (0, 3, 1, 2))))
        print(case["id"], float(image.mean()), float(image.std()), flush=True)
        cases.append(entry)
    note = (f"diffusers {diffusers.__version__} StableDiffusionPipeline / StableDiffusionImg2ImgPipeline with vae=AutoencoderTiny() "
            f"(random, torch.manual_seed({SEED}), default architecture), torch {torch.__version__} CPU fp32, 1 thread; tiny-sd-fp32 in torch "
            f"(make_tiny_checkpoint.build_tiny); shapes-sd-fp32's text encoder and UNet on onnxruntime {ort.__version__} CPU; "
            f"tools/make_taesd_refs.py")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(dict(note=note, taesd="random", seed=SEED, cases=cases), f, indent=1)


if __name__ == "__main__":
    main()
