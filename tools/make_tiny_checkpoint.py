"""The tiny fixture's pipeline (fixtures/tiny-sd-fp32) as a diffusers checkpoint: the architecture of
fixtures/tiny-sd-fp32/tiny_config.json with the weights of ../shared/tools/make_fixtures.py's
build_tiny() (seeds 0, 1, 2, then every parameter += 0.02 * randn from seed 3), so that
tools/prepare_model.py can be run on it and its output compared with the committed diffusers
references (fixtures/refs). test: its ONNX export must equal the committed fixture's outputs.

  PYTHONPATH=/work/diffusers/src python3 tools/make_tiny_checkpoint.py OUT_DIR
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                 set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1)


def build_tiny(config):
    """make_fixtures.py's build_tiny(), line for line."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**config["unet"]).eval()
    torch.manual_seed(1)
    vae = AutoencoderKL(**config["vae"]).eval()
    torch.manual_seed(2)
    te = CLIPTextModel(CLIPTextConfig(**config["text"], attn_implementation="eager")).eval()
    with torch.no_grad():
        for m in (unet, vae, te):
            g = torch.Generator().manual_seed(3)
            for p in m.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.02)
    return unet, vae, te


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--fixture", default=os.path.join(HERE, "..", "fixtures", "tiny-sd-fp32"))
    args = p.parse_args()
    from diffusers import PNDMScheduler, StableDiffusionPipeline
    from transformers import CLIPTokenizer
    with open(os.path.join(args.fixture, "tiny_config.json")) as f:
        config = json.load(f)
    unet, vae, text_encoder = build_tiny(config)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=CLIPTokenizer.from_pretrained(os.path.join(args.fixture, "tokenizer")),
                                   unet=unet, scheduler=PNDMScheduler(**SCHEDULER), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(args.out)
    for name in ("vocab.json", "merges.txt"):  # transformers 5 saves tokenizer.json only; the engine reads either
        with open(os.path.join(args.fixture, "tokenizer", name), "rb") as src, open(os.path.join(args.out, "tokenizer", name), "wb") as dst:
            dst.write(src.read())
    print("saved", args.out)


if __name__ == "__main__":
    main()
