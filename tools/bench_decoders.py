"""Decode time at Stable Diffusion v1.4's size: its VAE decoder's architecture (diffusers AutoencoderKL, SD v1.4's config,
random weights) against TAESD's (fixtures/taesd/random/taesd_decoder, the default AutoencoderTiny), both as ONNX on
onnxruntime's CPU EP (what onnxruntime-node's CPU EP runs), fp32, 1 thread, one latent of each size; median of --repeat.

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/bench_decoders.py [--sizes 256,512] [--repeat 2]
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def sd14_vae_decoder(path):
    from diffusers import AutoencoderKL
    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, latent_channels=4, sample_size=512).eval()

    class Decode(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vae = vae

        def forward(self, latent_sample):
            return self.vae.decode(latent_sample).sample

    with torch.no_grad():
        torch.onnx.export(Decode(), (torch.zeros(1, 4, 32, 32),), path, dynamo=False, input_names=["latent_sample"], output_names=["sample"],
                          dynamic_axes={"latent_sample": {2: "h", 3: "w"}, "sample": {2: "H", 3: "W"}}, opset_version=17)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="256,512")
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(1)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    with tempfile.TemporaryDirectory() as tmp:
        full_path = os.path.join(tmp, "vae_decoder.onnx")
        sd14_vae_decoder(full_path)
        sessions = {"full (SD v1.4 VAE)": ort.InferenceSession(full_path, so, providers=["CPUExecutionProvider"]),
                    "tiny (TAESD)": ort.InferenceSession(os.path.join(HERE, "..", "fixtures", "taesd", "random", "taesd_decoder", "model.onnx"), so,
                                                          providers=["CPUExecutionProvider"])}
        for size in [int(s) for s in a.sizes.split(",")]:
            z = np.random.default_rng(0).standard_normal((1, 4, size // 8, size // 8)).astype(np.float32)
            for name, s in sessions.items():
                s.run(None, {"latent_sample": z[:, :, :8, :8]})  # warm
                times = []
                for _ in range(a.repeat):
                    t = time.perf_counter()
                    s.run(None, {"latent_sample": z})
                    times.append(time.perf_counter() - t)
                print(f"{size}x{size} {name}: {1000 * statistics.median(times):.0f} ms (onnxruntime {ort.__version__} CPU, 1 thread)", flush=True)


if __name__ == "__main__":
    main()
