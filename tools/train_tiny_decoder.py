"""Distils shapes-sd's VAE decoder into a small AutoencoderTiny decoder (TAESD's architecture, fewer channels), so the
demo model previews real pictures from the first step and can decode fast (`decoder: 'tiny'`).

1. Data: shapes-sd itself makes the latents. Its ONNX text encoder and UNet (onnxruntime CPU) run diffusers'
   PNDMScheduler (the app's default sampler, 10 steps, CFG 7.5) from random prompts of its vocabulary
   (shapes_info.json) and seeds; the latents after every step are kept (a preview shows each of them, not
   only the last). The targets are the full VAE decoder's pictures of the same latents (vae_decoder/model.onnx
   on latents / 0.18215, in [-1, 1]). Trajectories are split by seed: TEST_TRAJECTORIES are never trained on.
2. Model: diffusers' DecoderTiny (AutoencoderTiny(decoder_block_out_channels=CHANNELS, num_decoder_blocks=BLOCKS): 16
   channels instead of 64, blocks (2, 2, 2, 1) instead of (3, 3, 3, 1)), whose decode is
   tanh(x/3)*3, convs, ReLU, nearest upsampling, x*2-1, with scaling factor 1.0: it takes the UNet's latents as
   they are, as the pipeline gives them with an AutoencoderTiny as its vae.
3. Training: Adam, MSE on random 8x8-latent (64x64-pixel) crops, cosine learning rate; torch.manual_seed(SEED)
   and 1 thread; minutes on this CPU.
4. Export: taesd_decoder/model.onnx (latent_sample -> sample, dynamic sizes, opset 17) + config.json into each
   OUT folder; metrics.json (its error against the full decoder on the held-out trajectories) beside it.

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/train_tiny_decoder.py public/models/shapes-sd-fp32 \
      public/models/shapes-sd-fp32 public/models/shapes-sd-fp16
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
import torch

SEED = 0
CHANNELS = (16, 16, 16, 16)
BLOCKS = (2, 2, 2, 1)  # TAESD's (3, 3, 3, 1), one fewer each: this CPU trains it in minutes
TRAIN_TRAJECTORIES = int(os.environ.get("TRAIN_TRAJECTORIES", "32"))
TEST_TRAJECTORIES = 8
BATCH_TRAJECTORIES = 16
STEPS = 10
GUIDANCE = 7.5
ITERATIONS = int(os.environ.get("ITERATIONS", "2500"))
BATCH = 8
CROP = 8  # latent cells; 64 pixels
LR = 3e-3
DATA_CACHE = os.environ.get("DATA_CACHE")  # an .npz to keep the generated data in (the same settings make the same data)
THREADS = 1  # one thread: on a shared, oversubscribed CPU two threads wait on each other (6 s vs ~1 s an iteration here)


def sessions(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    return {p: ort.InferenceSession(os.path.join(model, p, "model.onnx"), options, providers=["CPUExecutionProvider"])
            for p in ("text_encoder", "unet", "vae_decoder")}


def prompts(info, rng, n):
    out = []
    for _ in range(n):
        c1, c2 = rng.choice(info["colors"], 2, replace=False)
        shape = rng.choice(info["shapes"])
        position = rng.choice(info["positions"] + [""] * 3)
        article = lambda w: "an" if w[0] in "aeiou" else "a"
        out.append(f"{article(c1)} {c1} {shape}{' ' + position + ',' if position else ''} on {article(c2)} {c2} background")
    return out


def trajectories(model, s, count, seed0, rng):
    """Latents (count * STEPS, 4, 16, 16) after every PNDM step, and the full VAE's pictures of them."""
    from diffusers import PNDMScheduler
    from transformers import CLIPTokenizer
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(model, "tokenizer"))
    info = json.load(open(os.path.join(model, "shapes_info.json")))
    scaling = info["vae_scaling_factor"]
    encode = lambda texts: s["text_encoder"].run(["last_hidden_state"], {"input_ids": tokenizer(
        texts, padding="max_length", max_length=77, truncation=True, return_tensors="np").input_ids.astype(np.int32)})[0]
    latents_all, images_all = [], []
    for start in range(0, count, BATCH_TRAJECTORIES):
        b = min(BATCH_TRAJECTORIES, count - start)
        texts = prompts(info, rng, b)
        cond = np.concatenate([encode([""] * b), encode(texts)])  # (2b, 77, d): uncond ‖ cond
        scheduler = PNDMScheduler.from_pretrained(os.path.join(model, "scheduler"))
        scheduler.set_timesteps(STEPS)
        x = torch.cat([torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(seed0 + start + i)) for i in range(b)])
        x = x * scheduler.init_noise_sigma
        steps = []
        for i, t in enumerate(scheduler.timesteps):
            inp = scheduler.scale_model_input(torch.cat([x, x]), t).numpy()
            eps = torch.from_numpy(s["unet"].run(None, {"sample": inp, "timestep": np.full(2 * b, float(t), np.float32),
                                                           "encoder_hidden_states": cond})[0])
            eps = eps[:b] + GUIDANCE * (eps[b:] - eps[:b])
            x = scheduler.step(eps, t, x).prev_sample
            if i > 0:  # PNDM's first call completes no step (its second call repeats the timestep)
                steps.append(x.numpy().copy())
        latents_all.append(np.stack(steps, 1).reshape(-1, 4, 16, 16))  # trajectory-major: (b * STEPS, 4, 16, 16)
        print(f"  trajectories {start + b}/{count}", flush=True)
    latents = np.concatenate(latents_all).astype(np.float32)
    images = np.concatenate([s["vae_decoder"].run(None, {"latent_sample": latents[i:i + 32] / scaling})[0]
                             for i in range(0, len(latents), 32)]).astype(np.float32)
    return latents, images


def build():
    from diffusers import AutoencoderTiny
    vae = AutoencoderTiny(encoder_block_out_channels=CHANNELS, decoder_block_out_channels=CHANNELS, num_decoder_blocks=BLOCKS)
    return vae


def errors(vae, latents, images):
    with torch.no_grad():
        out = torch.cat([vae.decode(torch.from_numpy(latents[i:i + 32])).sample.clamp(-1, 1) for i in range(0, len(latents), 32)]).numpy()
    ref = np.clip(images, -1, 1)
    diff = np.abs(out - ref) / 2  # in [0, 1] pixel units
    mse = float(np.mean(diff ** 2))
    final = diff.reshape(-1, STEPS, *diff.shape[1:])[:, -1]
    return dict(mean_abs=float(diff.mean()), max_abs=float(diff.max()), psnr_db=float(10 * np.log10(1 / mse)),
                final_step_mean_abs=float(final.mean()), final_step_max_abs=float(final.max()),
                final_step_psnr_db=float(10 * np.log10(1 / np.mean(final ** 2))))


def main():
    model, outs = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    started = time.time()
    s = sessions(model)
    print("data: shapes-sd PNDM trajectories", flush=True)
    if DATA_CACHE and os.path.exists(DATA_CACHE):
        d = np.load(DATA_CACHE)
        train_latents, train_images, test_latents, test_images = d["train_latents"], d["train_images"], d["test_latents"], d["test_images"]
    else:
        train_latents, train_images = trajectories(model, s, TRAIN_TRAJECTORIES, 1000, rng)
        test_latents, test_images = trajectories(model, s, TEST_TRAJECTORIES, 900_000, rng)
        if DATA_CACHE:
            np.savez(DATA_CACHE, train_latents=train_latents, train_images=train_images, test_latents=test_latents, test_images=test_images)
    data_s = time.time() - started
    print(f"data: {len(train_latents)} train / {len(test_latents)} held-out latents in {data_s:.0f} s", flush=True)

    vae = build()
    decoder = vae.decoder
    params = sum(p.numel() for p in decoder.parameters())
    opt = torch.optim.Adam(decoder.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, ITERATIONS)
    lat_t, img_t = torch.from_numpy(train_latents), torch.from_numpy(train_images)
    g = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for it in range(ITERATIONS):
        idx = torch.randint(0, len(lat_t), (BATCH,), generator=g)
        y0, x0 = torch.randint(0, 16 - CROP + 1, (2,), generator=g).tolist()
        z = lat_t[idx, :, y0:y0 + CROP, x0:x0 + CROP]
        target = img_t[idx, :, y0 * 8:(y0 + CROP) * 8, x0 * 8:(x0 + CROP) * 8]
        loss = torch.nn.functional.mse_loss(vae.decode(z).sample, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 100 == 0 or it == ITERATIONS - 1:
            print(f"  iteration {it} loss {loss.item():.5f} ({time.time() - t0:.0f} s)", flush=True)
    train_s = time.time() - t0
    vae.eval()
    metrics = dict(held_out=errors(vae, test_latents, test_images), train=errors(vae, train_latents[:len(test_latents)], train_images[:len(test_latents)]))
    print(json.dumps(metrics, indent=1), flush=True)

    class Decode(torch.nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, latent_sample):
            return self.vae.decode(latent_sample).sample

    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(vae.config).items()}
    note = dict(what="shapes-sd's VAE decoder distilled into AutoencoderTiny's decoder (tools/train_tiny_decoder.py)", seed=SEED,
                channels=list(CHANNELS), blocks=list(BLOCKS), decoder_parameters=params, iterations=ITERATIONS, batch=BATCH, crop_latent=CROP,
                train_latents=len(train_latents), held_out_latents=len(test_latents), sampler=f"pndm {STEPS} steps, CFG {GUIDANCE}",
                data_seconds=round(data_s), train_seconds=round(train_s), threads=THREADS, torch=torch.__version__,
                error_units="pixels in [0, 1]; held-out = trajectories of other seeds and prompts, every step's latents", **metrics)
    for out in outs:
        part = os.path.join(out, "taesd_decoder")
        os.makedirs(part, exist_ok=True)
        with torch.no_grad():
            torch.onnx.export(Decode(vae), (torch.zeros(1, 4, 16, 16),), os.path.join(part, "model.onnx"), dynamo=False,
                              input_names=["latent_sample"], output_names=["sample"], opset_version=17, do_constant_folding=True,
                              dynamic_axes={"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
        json.dump(config, open(os.path.join(part, "config.json"), "w"), indent=2)
        json.dump(note, open(os.path.join(part, "training.json"), "w"), indent=1)
        print("wrote", part, flush=True)


if __name__ == "__main__":
    main()
