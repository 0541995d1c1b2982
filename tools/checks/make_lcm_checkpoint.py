"""A tiny LCM-distilled checkpoint (save_pretrained layout) to try tools/prepare_model.py on: tiny-sd's text encoder
and VAE (tools/make_tiny_checkpoint.py build_tiny), a random UNet of tiny-sd's shape with time_cond_proj_dim 32,
LCMScheduler from tiny-sd's scheduler file.

  PYTHONPATH=/path/to/diffusers/src python tools/checks/make_lcm_checkpoint.py OUT_DIR   (run from the repository root)
"""
import json, os, sys
sys.path.insert(0, 'tools')
import torch
torch.set_num_threads(1)
from diffusers import StableDiffusionPipeline, UNet2DConditionModel, LCMScheduler
from transformers import CLIPTokenizer
from make_tiny_checkpoint import build_tiny
cfg = json.load(open('fixtures/tiny-sd-fp32/tiny_config.json'))
_, vae, te = build_tiny(cfg)
torch.manual_seed(0)
u = dict(cfg['unet']); u['time_cond_proj_dim'] = 32
unet = UNet2DConditionModel(**u).eval()
sched = LCMScheduler.from_config(json.load(open('fixtures/tiny-sd-fp32/scheduler/scheduler_config.json')))
pipe = StableDiffusionPipeline(vae=vae, text_encoder=te, tokenizer=CLIPTokenizer.from_pretrained('fixtures/tiny-sd-fp32/tokenizer'), unet=unet, scheduler=sched, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
pipe.save_pretrained(sys.argv[1])
