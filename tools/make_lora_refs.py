"""Reference pictures for src/engine/lora/lora-diffusers.test.ts: random LoRAs on the tiny fixture, in the
two file formats people have (kohya / A1111 `lora_unet_*` / `lora_te_*` with `.alpha`, and diffusers / peft
`unet.*.lora_A.weight` with its `lora_adapter_metadata`), loaded by diffusers' own
StableDiffusionPipeline.load_lora_weights(adapter_name=...) + set_adapters(names, adapter_weights) and run
end to end (torch, fp32, CPU) on the tiny fixture model rebuilt by tools/make_tiny_checkpoint.py's build_tiny.

Files: alpha != rank everywhere; fp16 (kohya), bf16 (a text-encoder LoRA) and fp32 tensors; LoCon 3x3
convolutions in the resnets; a text-encoder LoRA; two LoRAs on overlapping layers at once.

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_lora_refs.py fixtures/lora

Writes the .safetensors files, manifest.json and per case the image (1, 3, 128, 128) in [0, 1] and the final
latents (1, 4, 16, 16) as raw little-endian float32.
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ref_arrays import save  # noqa: E402
from make_tiny_checkpoint import SCHEDULER, build_tiny  # noqa: E402

FIXTURE = os.path.join(HERE, "..", "fixtures", "tiny-sd-fp32")
REQUEST = dict(prompt="a red circle on a blue background", negative_prompt="", scheduler="ddim", steps=8, guidance=7.5, seed=7)
ATTN = ("attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0")


def modules(model, keep):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)) and keep(n, m)]


def pair(module, rank, gen, std, conv3=False):
    """(down, up) for a Linear or Conv2d: down (r, in[, kh, kw]), up (out, r[, 1, 1])."""
    if isinstance(module, torch.nn.Conv2d):
        kh, kw = module.kernel_size
        down = torch.randn((rank, module.in_channels, kh, kw), generator=gen) * std
        up = torch.randn((module.out_channels, rank, 1, 1), generator=gen) * std
    else:
        down = torch.randn((rank, module.in_features), generator=gen) * std
        up = torch.randn((module.out_features, rank), generator=gen) * std
    return down, up


def kohya_file(path, unet, te, unet_keep, te_keep, rank, alpha, seed, dtype, std=0.15):
    gen = torch.Generator().manual_seed(seed)
    sd, targets = {}, []
    for prefix, model, keep, part in (("lora_unet_", unet, unet_keep, "unet"), ("lora_te_", te, te_keep, "text_encoder")):
        for name, m in modules(model, keep):
            down, up = pair(m, rank, gen, std)
            key = prefix + name.replace(".", "_")
            sd[key + ".lora_down.weight"] = down.to(dtype)
            sd[key + ".lora_up.weight"] = up.to(dtype)
            sd[key + ".alpha"] = torch.tensor(float(alpha)).to(dtype)
            targets.append(f"{part}.{name}")
    save_file(sd, path)
    return targets


def peft_file(path, unet, te, unet_keep, te_keep, rank, alpha, seed, dtype, std=0.15):
    gen = torch.Generator().manual_seed(seed)
    sd, targets, meta = {}, [], {"format": "pt"}
    adapter = {}
    for prefix, model, keep in (("unet", unet, unet_keep), ("text_encoder", te, te_keep)):
        found = modules(model, keep) if keep else []
        for name, m in found:
            down, up = pair(m, rank, gen, std)
            sd[f"{prefix}.{name}.lora_A.weight"] = down.to(dtype)
            sd[f"{prefix}.{name}.lora_B.weight"] = up.to(dtype)
            targets.append(f"{prefix}.{name}")
        if found:
            for k, v in dict(r=rank, lora_alpha=alpha, target_modules=sorted({n.split(".")[-1] for n, _ in found}), alpha_pattern={}, rank_pattern={}).items():
                adapter[f"{prefix}.{k}"] = v
    meta["lora_adapter_metadata"] = json.dumps(adapter, indent=2, sort_keys=True)
    save_file(sd, path, metadata=meta)
    return targets


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    import diffusers
    from diffusers import DDIMScheduler, StableDiffusionPipeline
    from transformers import CLIPTokenizer
    with open(os.path.join(FIXTURE, "tiny_config.json")) as f:
        config = json.load(f)
    unet, vae, te = build_tiny(config)
    attn = lambda n, m: n.endswith(ATTN) or n.endswith(("ff.net.0.proj", "ff.net.2", "proj_in", "proj_out"))
    te_all = lambda n, m: "encoder.layers" in n
    files = {
        # kohya, fp16: UNet attention + feed-forward + proj_in/out (1x1 convs) and the text encoder; rank 4, alpha 2
        "kohya_attn_te": kohya_file(os.path.join(out, "kohya_attn_te.safetensors"), unet, te, attn, te_all, 4, 2.0, 10, torch.float16),
        # kohya LoCon, fp32: 3x3 resnet / down- and upsampler convs, conv_shortcut, time_emb_proj; rank 4, alpha 8
        "locon": kohya_file(os.path.join(out, "locon.safetensors"), unet, te,
                            lambda n, m: (".resnets." in n and n.endswith(("conv1", "conv2", "conv_shortcut", "time_emb_proj"))) or "samplers" in n,
                            lambda n, m: False, 4, 8.0, 11, torch.float32, std=0.1),
        # diffusers / peft, fp32: UNet attention only; rank 8, lora_alpha 4
        "peft_unet": peft_file(os.path.join(out, "peft_unet.safetensors"), unet, te, lambda n, m: n.endswith(ATTN), None, 8, 4, 12, torch.float32),
        # diffusers / peft, bf16: text encoder only (attention and MLP); rank 2, lora_alpha 3
        "peft_te": peft_file(os.path.join(out, "peft_te.safetensors"), unet, te, None, te_all, 2, 3, 13, torch.bfloat16, std=0.3),
    }
    cases = [
        dict(id="base", loras=[]),  # no LoRA: how far each LoRA moves the picture
        dict(id="kohya_attn_te", loras=[["kohya_attn_te", 0.8]]),
        dict(id="locon", loras=[["locon", 1.0]]),
        dict(id="peft_unet", loras=[["peft_unet", 1.0]]),
        dict(id="peft_te", loras=[["peft_te", 1.5]]),
        dict(id="two_loras", loras=[["kohya_attn_te", 0.7], ["peft_unet", -0.5]]),
    ]
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))
    done = []
    for case in cases:
        unet, vae, te = build_tiny(config)
        pipe = StableDiffusionPipeline(vae=vae, text_encoder=te, tokenizer=tokenizer, unet=unet, scheduler=DDIMScheduler.from_config(SCHEDULER),
                                       safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        for name, _ in case["loras"]:
            pipe.load_lora_weights(out, weight_name=f"{name}.safetensors", adapter_name=name)
            for target in files[name]:  # every layer of the file got its LoRA (nothing silently dropped)
                part, path = target.split(".", 1)
                module = getattr(pipe, part).get_submodule(path)
                assert hasattr(module, "lora_A") and name in module.lora_A, (name, target)
        if case["loras"]:
            pipe.set_adapters([n for n, _ in case["loras"]], adapter_weights=[w for _, w in case["loras"]])
        final = {}

        def keep(p, i, t, kw):
            final["latents"] = kw["latents"].detach().clone()
            return kw

        with torch.no_grad():
            image = pipe(REQUEST["prompt"], height=128, width=128, num_inference_steps=REQUEST["steps"], guidance_scale=REQUEST["guidance"],
                         generator=torch.Generator().manual_seed(REQUEST["seed"]), output_type="np",
                         callback_on_step_end=keep, callback_on_step_end_tensor_inputs=["latents"]).images
        entry = dict(case, final_latents=save(out, f"{case['id']}_latents.f32", final["latents"].numpy()),
                     image=save(out, f"{case['id']}_image.f32", np.transpose(image, (0, 3, 1, 2))))
        done.append(entry)
        print(case["id"], "image mean", float(image.mean()))
    meta = {"source": "diffusers StableDiffusionPipeline " + diffusers.__version__ + " load_lora_weights + set_adapters, torch " + torch.__version__ + " fp32 CPU, tiny-sd (tools/make_tiny_checkpoint.py build_tiny)",
            "command": "PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_lora_refs.py fixtures/lora",
            "request": REQUEST, "files": {k: len(v) for k, v in files.items()}, "cases": done}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
