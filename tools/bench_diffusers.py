"""PyTorch side of the pipeline benchmark: diffusers' StableDiffusionPipeline, the reference, on the
request the engine runs (bench/pipeline-bench.ts --compare-torch starts this script and reads its
last line, `TORCH_JSON {...}`), timed per stage like the engine:

  load            model construction or from_pretrained, plus .to(device)
  text encoder    pipe.encode_prompt (prompt and negative prompt, CFG)
  steps           one entry per sampler step, CUDA-synchronised (callback_on_step_end)
  VAE decode      vae.decode(latents / scaling_factor) and the image in [0, 1] on the CPU
  total           text encoder + sampler loop + VAE decode, one wall clock

The weights are either a saved diffusers checkpoint (--checkpoint DIR) or, where real weights are
not available (the GPU machine has no network), the model's exact architecture with random
weights (--random sd14 | tiny): torch.manual_seed(0), then CLIP text model, UNet and VAE built in
that order in fp32 on the CPU, as ../shared/gpu/export_sd14.py does, so its fp16 export holds the
same weights. Random weights run at the speed of real ones. --save DIR writes the pipeline as a
diffusers checkpoint (fp32) for tools/prepare_model.py, so engine and PyTorch share weights.

Initial latents: --latents-in FILE (raw float32, 1x4xH/8xW/8), else
torch.randn(generator=torch.Generator("cpu").manual_seed(seed)) in float32, which the engine's
TorchGenerator reproduces bit for bit.

  python3 tools/bench_diffusers.py --random sd14 --tokenizer DIR --save DIR --no-bench
  python3 tools/bench_diffusers.py --checkpoint DIR --steps 25 --width 512 --height 512 [--latents-out F]

Where torch or diffusers is missing it prints `TORCH_UNAVAILABLE <why>` and exits with status 3.
"""
import argparse
import json
import resource
import sys
import time

SD14_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                      set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1)

# Engine scheduler names (src/core/schedulers) -> diffusers classes and extra config.
SCHEDULERS = {
    "pndm": ("PNDMScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "dpmpp_2m": ("DPMSolverMultistepScheduler", {}),
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "lcm": ("LCMScheduler", {}),
    "tcd": ("TCDScheduler", {}),
}


def unavailable(reason):
    print(f"TORCH_UNAVAILABLE {reason}", flush=True)
    sys.exit(3)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a diffusers StableDiffusionPipeline directory (save_pretrained layout)")
    src.add_argument("--random", choices=["sd14", "tiny"], help="the architecture with random weights (seed 0)")
    p.add_argument("--tiny-config", help="tiny_config.json of the tiny fixtures (with --random tiny)")
    p.add_argument("--tokenizer", help="CLIP tokenizer directory (vocab.json, merges.txt) for --random")
    p.add_argument("--save", help="write the pipeline (fp32) as a diffusers checkpoint here")
    p.add_argument("--no-bench", action="store_true", help="only build/save, no timing")
    p.add_argument("--device", default=None, help="cuda (default when available) or cpu")
    p.add_argument("--dtype", choices=["fp16", "fp32"], default="fp16", help="fp16 needs CUDA; on the CPU fp32 is used")
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--warmup", type=int, default=1, help="untimed generations of min(steps, 3) steps first")
    p.add_argument("--guidance", type=float, default=7.5)
    p.add_argument("--scheduler", choices=sorted(SCHEDULERS), default="pndm")
    p.add_argument("--prompt", default="a photograph of an astronaut riding a horse")
    p.add_argument("--negative-prompt", default="")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latents-in", help="initial latents, raw float32 (1, 4, height/8, width/8)")
    p.add_argument("--latents-out", help="write the final latents here, raw float32")
    p.add_argument("--image-out", help="write the decoded image here, raw float32 NCHW in [0, 1] (output_type=\"np\" before quantisation)")
    return p.parse_args(argv)


def build_random(kind, tiny_config, tokenizer_dir):
    """The pipeline with random weights: seed 0, text encoder, UNet, VAE in export_sd14.py's order."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    if kind == "sd14":
        text = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                    max_position_embeddings=77, hidden_act="quick_gelu", bos_token_id=49406, eos_token_id=49407, pad_token_id=49407)
        unet = dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
                    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
                    cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32)
        vae = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                   down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                   norm_num_groups=32, sample_size=512)
    else:
        if not tiny_config:
            raise SystemExit("--random tiny needs --tiny-config (fixtures/tiny-sd-fp32/tiny_config.json)")
        with open(tiny_config) as f:
            config = json.load(f)
        text, unet, vae = config["text"], config["unet"], config["vae"]
    if not tokenizer_dir:
        raise SystemExit("--random needs --tokenizer DIR (a CLIP tokenizer: vocab.json, merges.txt)")
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(CLIPTextConfig(**text)).eval()
    unet_model = UNet2DConditionModel(**unet).eval()
    vae_model = AutoencoderKL(**vae).eval()
    return StableDiffusionPipeline(vae=vae_model, text_encoder=text_encoder, tokenizer=CLIPTokenizer.from_pretrained(tokenizer_dir),
                                   unet=unet_model, scheduler=PNDMScheduler(**SD14_SCHEDULER), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)


def main(argv=None):
    args = parse_args(argv)
    try:
        import numpy as np
        import torch
        import diffusers
        from diffusers import StableDiffusionPipeline
    except ImportError as error:
        unavailable(f"{error.__class__.__name__}: {error} (python {sys.executable}); install torch, transformers and diffusers, "
                    "or on the GPU machine `source .gpu/setup.sh` after prepare-carry.sh with DIFFUSERS_GIT")

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float16 if args.dtype == "fp16" and device.startswith("cuda") else torch.float32
    if args.dtype == "fp16" and dtype == torch.float32:
        print(f"note: fp16 on {device} is not a fair reference; running fp32", file=sys.stderr)
    cuda = device.startswith("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    if args.checkpoint:
        pipe = StableDiffusionPipeline.from_pretrained(args.checkpoint, torch_dtype=torch.float32, safety_checker=None,
                                                       requires_safety_checker=False)
        weights = f"checkpoint {args.checkpoint}"
    else:
        pipe = build_random(args.random, args.tiny_config, args.tokenizer)
        weights = f"random {args.random}, seed 0"
    if args.save:
        pipe.save_pretrained(args.save)
        print(f"saved the pipeline (fp32, {weights}) to {args.save}", file=sys.stderr, flush=True)
    if args.no_bench:
        return
    name, extra = SCHEDULERS[args.scheduler]
    pipe.scheduler = getattr(diffusers, name).from_config(pipe.scheduler.config, **extra)
    pipe = pipe.to(device, dtype)
    pipe.set_progress_bar_config(disable=True)
    sync()
    load_ms = (time.perf_counter() - t0) * 1000

    shape = (1, pipe.unet.config.in_channels, args.height // 8, args.width // 8)
    if args.latents_in:
        init = torch.from_numpy(np.fromfile(args.latents_in, dtype="<f4").reshape(shape))
    else:
        init = torch.randn(shape, generator=torch.Generator("cpu").manual_seed(args.seed), dtype=torch.float32)
    do_cfg = args.guidance > 1

    def generate(steps):
        """One timed generation: (text ms, per-step ms, decode ms, total ms, final latents, image)."""
        step_ms = []
        sync()
        start = time.perf_counter()
        with torch.no_grad():
            cond, uncond = pipe.encode_prompt(args.prompt, device, 1, do_cfg, args.negative_prompt)
            sync()
            text_done = time.perf_counter()
            last = [time.perf_counter()]

            def on_step_end(_pipe, _i, _t, _kwargs):
                sync()
                now = time.perf_counter()
                step_ms.append((now - last[0]) * 1000)
                last[0] = now
                return {}

            latents = pipe(prompt_embeds=cond, negative_prompt_embeds=uncond, num_inference_steps=steps, guidance_scale=args.guidance,
                           height=args.height, width=args.width, latents=init.to(device, dtype), output_type="latent",
                           callback_on_step_end=on_step_end).images
            sync()
            decode_start = time.perf_counter()
            image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
            image = (image / 2 + 0.5).clamp(0, 1).float().cpu().numpy()
            end = time.perf_counter()
        return ((text_done - start) * 1000, step_ms, (end - decode_start) * 1000, (end - start) * 1000, latents, image)

    for _ in range(args.warmup):
        generate(min(args.steps, 3))
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    text_ms, step_ms, decode_ms, total_ms, latents, image = generate(args.steps)
    if args.latents_out:
        latents.float().cpu().numpy().astype("<f4").tofile(args.latents_out)
    if args.image_out:
        image.astype("<f4").tofile(args.image_out)
    result = {
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "dtype": "fp16" if dtype == torch.float16 else "fp32",
        "weights": weights,
        "load_ms": load_ms,
        "text_encoder_ms": text_ms,
        "step_ms": step_ms,
        "vae_decode_ms": decode_ms,
        "total_ms": total_ms,
        "peak_gpu_mem_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print("TORCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
