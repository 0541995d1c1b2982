"""The layers a LoRA targets in SD v1.4, with their weight shapes, for bench/lora-merge-bench.ts: diffusers'
UNet2DConditionModel with SD v1.4's config (CompVis/stable-diffusion-v1-4 unet/config.json: block_out_channels
320/640/1280/1280, 2 layers per block, cross_attention_dim 768, attention_head_dim 8) and transformers'
CLIPTextModel with its config (hidden 768, intermediate 3072, 12 layers), built on the meta device (no weights).

Two target sets: `attention` (kohya's default LoRA for SD 1.x: every Linear and 1x1 Conv of the UNet's
Transformer2DModels, the text encoder's self_attn and mlp Linears) and `lcm` (LCM-LoRA SD v1.5's
target_modules: to_q/k/v/out.0, proj_in/out, ff.net.0.proj/ff.net.2, conv1/conv2/conv_shortcut,
downsamplers.0.conv, upsamplers.0.conv, time_emb_proj; UNet only).

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/sd14_lora_shapes.py bench/data/sd14-lora-shapes.json
"""
import json
import sys

import torch
from diffusers import UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

UNET = dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=[320, 640, 1280, 1280],
            down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
            up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
            cross_attention_dim=768, attention_head_dim=8)
LCM = ("to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2", "conv1", "conv2", "conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv", "time_emb_proj")

with torch.device("meta"):
    unet = UNet2DConditionModel(**UNET)
    te = CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, projection_dim=768))


def layers(model, part, keep):
    return [dict(part=part, module=n, shape=list(m.weight.shape)) for n, m in model.named_modules()
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)) and keep(n, m)]


attention = layers(unet, "unet", lambda n, m: ".attentions." in n and (isinstance(m, torch.nn.Linear) or m.kernel_size == (1, 1))) + \
    layers(te, "text_encoder", lambda n, m: ".self_attn." in n or ".mlp." in n)
lcm = layers(unet, "unet", lambda n, m: n.endswith(LCM))
with open(sys.argv[1], "w") as f:
    json.dump({"source": __doc__.strip().splitlines()[0], "attention": attention, "lcm": lcm}, f, indent=0)
for name, ls in (("attention", attention), ("lcm", lcm)):
    params = sum(torch.Size(l["shape"]).numel() for l in ls)
    rank64 = sum(64 * (l["shape"][0] + torch.Size(l["shape"][1:]).numel()) for l in ls)
    print(name, len(ls), "layers,", params / 1e6, "M base params,", rank64 / 1e6, "M LoRA params at rank 64")
