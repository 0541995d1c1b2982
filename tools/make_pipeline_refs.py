"""Reference pictures for src/engine/pipeline-diffusers.parity.test.ts: diffusers' own StableDiffusionPipeline
(torch, fp32, CPU) on the tiny fixture model (rebuilt bit for bit by tools/make_tiny_checkpoint.py's
build_tiny), driven end to end from a seed the way users call it, for what fixtures/refs lacks:

- a negative prompt (classifier-free guidance against it instead of "");
- Euler a from a seed: `generator=torch.Generator().manual_seed(seed)` makes the initial latents AND,
  afterwards, every step's ancestral noise (EulerAncestralDiscreteScheduler.step(..., generator));
- a prompt over 75 tokens: diffusers' tokenizer call truncates it to 77 ids (BOS + 75 + EOS).

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_pipeline_refs.py fixtures/pipeline-refs

Writes manifest.json and, per case, the final latents (1, 4, 16, 16) and the image (1, 3, 128, 128)
in [0, 1] as raw little-endian float32.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ref_arrays import save  # noqa: E402
from make_tiny_checkpoint import SCHEDULER, build_tiny  # noqa: E402

FIXTURE = os.path.join(HERE, "..", "fixtures", "tiny-sd-fp32")
LONG = ("a detailed photograph of a red circle and a blue square and a green triangle and a yellow star "
        "and a purple cross on a white background with soft light, sharp focus, high contrast, many small "
        "details, fine texture, studio lighting, wide angle, seen from above, trending, award winning, "
        "muted colors, film grain, vignette, symmetrical composition, clean lines, minimal style")
CASES = [
    dict(id="negative_ddim", prompt="a red circle on a blue background", negative_prompt="blurry, low quality, green",
         scheduler="ddim", steps=8, guidance=7.5, seed=7),
    dict(id="euler_a_seed", prompt="a yellow star at the top", negative_prompt="", scheduler="euler_a", steps=10,
         guidance=7.0, seed=11),
    dict(id="euler_a_negative", prompt="a purple cross", negative_prompt="a white background", scheduler="euler_a",
         steps=6, guidance=5.0, seed=123456789),
    dict(id="long_prompt_pndm", prompt=LONG, negative_prompt="", scheduler="pndm", steps=6, guidance=7.5, seed=5),
]
SCHEDULERS = {"ddim": "DDIMScheduler", "euler_a": "EulerAncestralDiscreteScheduler", "pndm": "PNDMScheduler"}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    import diffusers
    from diffusers import StableDiffusionPipeline
    from transformers import CLIPTokenizer
    with open(os.path.join(FIXTURE, "tiny_config.json")) as f:
        config = json.load(f)
    unet, vae, text_encoder = build_tiny(config)
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))  # model_max_length 77
    cases = []
    for case in CASES:
        scheduler = getattr(diffusers, SCHEDULERS[case["scheduler"]]).from_config(SCHEDULER)  # as make_fixtures.py make_sched
        pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                                       safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        final = {}

        def keep(p, i, t, kw):
            final["latents"] = kw["latents"].detach().clone()
            return kw

        ids = tokenizer(case["prompt"]).input_ids
        with torch.no_grad():
            image = pipe(case["prompt"], negative_prompt=case["negative_prompt"] or None, height=128, width=128,
                         num_inference_steps=case["steps"], guidance_scale=case["guidance"],
                         generator=torch.Generator().manual_seed(case["seed"]), output_type="np",
                         callback_on_step_end=keep, callback_on_step_end_tensor_inputs=["latents"]).images
        entry = dict(case, prompt_tokens=len(ids) - 2,
                     final_latents=save(out, f"{case['id']}_latents.f32", final["latents"].numpy()),
                     image=save(out, f"{case['id']}_image.f32", np.transpose(image, (0, 3, 1, 2))))
        cases.append(entry)
        print(case["id"], "prompt tokens", entry["prompt_tokens"], "image mean", float(image.mean()))
    meta = {"source": "diffusers StableDiffusionPipeline " + diffusers.__version__ + ", torch " + torch.__version__ + " fp32 CPU, tiny-sd (tools/make_tiny_checkpoint.py build_tiny)",
            "command": "PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_pipeline_refs.py fixtures/pipeline-refs",
            "cases": cases}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
