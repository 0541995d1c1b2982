"""How far each VAE encoder is from the float64 result on the img2img init pictures, and why.

For fixtures/img2img/public/init_{A,B}.png through MODEL_DIR's VAE encoder (the distribution's mean), prints
the relative L2 distance from float64 (torch, the VAE rebuilt from the ONNX weights, .double()) of:
  torch float32, contiguous NCHW input (what diffusers gets from an image tensor), at 1, 2, 4, 16 threads
  torch float32, channels-last input (what diffusers' VaeImageProcessor makes from a PIL picture)
  onnxruntime CPU on vae_encoder/model.onnx (InstanceNormalization's long float32 sums)
and writes OUT_DIR/mean_f64_{A,B}.f32 (float32 (1,4,h,w), the float64 mean rounded) and OUT_DIR/check_group_norm.json.
The engine's encoder (onnxruntime-web wasm, with src/engine/runtime/precise-group-norm.ts) is measured against those
files by src/engine/runtime/precise-group-norm.test.ts.

Usage: PYTHONPATH=/path/to/diffusers/src python tools/check_group_norm.py MODEL_DIR OUT_DIR
"""
import copy, json, os, sys
import numpy as np, onnxruntime as ort, torch
from PIL import Image
from diffusers.image_processor import VaeImageProcessor
from torch_vae_from_onnx import load_vae

folder, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
vae = load_vae(folder)
vae64 = copy.deepcopy(vae).double()
session = ort.InferenceSession(f"{folder}/vae_encoder/model.onnx", providers=["CPUExecutionProvider"])
rel = lambda a, b: float(np.linalg.norm(a - b) / np.linalg.norm(b))
report = {}
for name in ("A", "B"):
    channels_last = VaeImageProcessor(vae_scale_factor=8).preprocess(Image.open(f"fixtures/img2img/public/init_{name}.png").convert("RGB"))
    assert channels_last.is_contiguous(memory_format=torch.channels_last)   # diffusers' own tensor from a PIL picture
    contiguous = channels_last.contiguous()
    with torch.no_grad():
        truth = vae64.encode(contiguous.double()).latent_dist.mean.numpy()
        r = {"onnxruntime_cpu": rel(session.run(None, {"sample": contiguous.numpy()})[0], truth)}
        for threads in (1, 2, 4, 16):
            torch.set_num_threads(threads)
            r[f"torch_contiguous_{threads}_threads"] = rel(vae.encode(contiguous).latent_dist.mean.numpy(), truth)
            r[f"torch_channels_last_{threads}_threads"] = rel(vae.encode(channels_last).latent_dist.mean.numpy(), truth)
    truth.astype(np.float32).tofile(os.path.join(out, f"mean_f64_{name}.f32"))
    report[f"init_{name}"] = r
    for k, v in r.items(): print(f"init_{name} {k}: {v:.2e} from float64", flush=True)
json.dump(dict(note=f"relative L2 from the float64 encoder mean; torch {torch.__version__}, onnxruntime {ort.__version__}; tools/check_group_norm.py", **report),
          open(os.path.join(out, "check_group_norm.json"), "w"), indent=1)
