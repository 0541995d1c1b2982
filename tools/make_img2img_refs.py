"""img2img / inpainting references computed by diffusers' own pipelines around this project's model folder.

diffusers' StableDiffusionImg2ImgPipeline and StableDiffusionInpaintPipeline (torch, CPU, fp32) run unchanged.
The VAE is the torch AutoencoderKL rebuilt from the folder's ONNX weights (tools/torch_vae_from_onnx.py: the
checkpoint's own weights); the text encoder and UNet are the folder's ONNX files on onnxruntime CPU (fp32),
wrapped as torch modules. VAE latents are the encoder's mean (retrieve_latents with sample_mode="argmax",
what vae_encoder/model.onnx returns), so the generator's first draw is the noise.

The init picture goes in as a contiguous float tensor in [0, 1] (np.float32(pixels) / 255, NCHW), which
diffusers accepts and normalises to the same values as a PIL picture (--image-as pil for that). Why: from a
PIL picture VaeImageProcessor makes a channels-last view, and torch's channels-last GroupNorm sums in float32
per thread chunk, so diffusers' own encoder output for a flat picture moves with torch's thread count (init_A:
7.2e-5 from float64 with 1 thread, 5.5e-5 with 2, 4.2e-6 with 16; contiguous: 4.8e-7 with any count;
tools/check_group_norm.py). With --image-as pil and torch at 2 threads this script reproduces the issue's
references (../shared/tools/make_img2img_refs.py, torch checkpoint) within latents rel L2 1.2e-5.

Usage:
  PYTHONPATH=/path/to/diffusers/src python tools/make_img2img_refs.py MODEL_DIR OUT_DIR [--check SHARED_REFS_DIR] [--image-as tensor|pil]
      [--threads N (torch's thread count)] [--public-only (the issue's three cases)]
    MODEL_DIR  a diffusers ONNX folder (public/models/shapes-sd-fp32)
    OUT_DIR    writes manifest.json, init_*.png, mask_*.png, img_<id>.f32 (1x3xHxW in [0,1]), lat_<id>.f32
"""
import json, os, sys, types
import numpy as np, onnxruntime as ort, torch
from PIL import Image, ImageDraw
import diffusers
import diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_img2img as i2i_mod
import diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_inpaint as inp_mod
from diffusers import (StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline, PNDMScheduler, DDIMScheduler,
    LMSDiscreteScheduler, EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, HeunDiscreteScheduler,
    DPMSolverMultistepScheduler, UniPCMultistepScheduler)
from transformers import CLIPTokenizer
from torch_vae_from_onnx import load_vae

def argmax_latents(encoder_output, generator=None, sample_mode="sample"):
    return encoder_output.latent_dist.mode()
i2i_mod.retrieve_latents = argmax_latents
inp_mod.retrieve_latents = argmax_latents

SCHED = {"pndm": (PNDMScheduler, {}), "ddim": (DDIMScheduler, {}), "lms": (LMSDiscreteScheduler, {}),
         "euler": (EulerDiscreteScheduler, {}), "euler_a": (EulerAncestralDiscreteScheduler, {}),
         "heun": (HeunDiscreteScheduler, {}), "dpmpp_2m": (DPMSolverMultistepScheduler, {}),
         "dpmpp_2m_karras": (DPMSolverMultistepScheduler, {"use_karras_sigmas": True}), "unipc": (UniPCMultistepScheduler, {})}

class Config(dict):
    def __getattr__(self, name):
        try: return self[name]
        except KeyError: raise AttributeError(name) from None

class Module(torch.nn.Module):
    device = torch.device("cpu")
    dtype = torch.float32

class Onnx(Module):
    """An ONNX session as a torch module (float32 in and out)."""
    def __init__(self, path, config):
        super().__init__()
        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.config = Config(config)
    def _run(self, **feeds):
        return [torch.from_numpy(o) for o in self.session.run(None, {k: v for k, v in feeds.items()})]

class TextEncoder(Onnx):
    def forward(self, input_ids, attention_mask=None, output_hidden_states=False):
        return self._run(input_ids=input_ids.numpy().astype(np.int32))

class Unet(Onnx):
    def forward(self, sample, t, encoder_hidden_states, return_dict=False, **_):
        t = torch.as_tensor(t, dtype=torch.float32).reshape(-1).expand(sample.shape[0]).contiguous()
        return self._run(sample=sample.numpy(), timestep=t.numpy(), encoder_hidden_states=encoder_hidden_states.numpy())

class Vae(Module):
    """The torch VAE rebuilt from the folder's ONNX weights; encode returns the distribution's mean."""
    def __init__(self, folder, config):
        super().__init__()
        self.vae = load_vae(folder)
        self.config = Config(config)
    def encode(self, image, return_dict=True):
        mean = self.vae.encode(image).latent_dist.mean
        return types.SimpleNamespace(latent_dist=types.SimpleNamespace(mode=lambda: mean))
    def decode(self, latents, return_dict=False, generator=None):
        return (self.vae.decode(latents).sample,)

def load_pipes(folder):
    cfg = lambda part: json.load(open(f"{folder}/{part}/config.json"))
    parts = dict(vae=Vae(folder, cfg("vae_decoder")), text_encoder=TextEncoder(f"{folder}/text_encoder/model.onnx", cfg("text_encoder")),
                 tokenizer=CLIPTokenizer.from_pretrained(f"{folder}/tokenizer"), unet=Unet(f"{folder}/unet/model.onnx", cfg("unet")),
                 scheduler=PNDMScheduler.from_pretrained(f"{folder}/scheduler"), safety_checker=None, feature_extractor=None,
                 requires_safety_checker=False)
    pipes = StableDiffusionImg2ImgPipeline(**parts), StableDiffusionInpaintPipeline(**parts)
    for p in pipes: p.set_progress_bar_config(disable=True)
    return pipes

def init_image(kind):
    im = Image.new("RGB", (128, 128), (40, 160, 60) if kind == "A" else (250, 250, 250))
    d = ImageDraw.Draw(im)
    if kind == "A": d.rectangle([36, 36, 92, 92], fill=(235, 210, 30))           # yellow square on green
    else: d.ellipse([20, 30, 80, 90], fill=(200, 30, 30)); d.polygon([(90, 20), (120, 110), (70, 110)], fill=(30, 60, 200))
    return im

def mask_image(kind):
    im = Image.new("RGB", (128, 128), (0, 0, 0)); d = ImageDraw.Draw(im)
    if kind == "left": d.rectangle([0, 0, 63, 127], fill=(255, 255, 255))
    elif kind == "center": d.rectangle([32, 32, 95, 95], fill=(255, 255, 255))
    elif kind == "blob":    # not on the 8-pixel grid, with grey antialiased-like edges either side of 0.5
        d.ellipse([13, 21, 77, 99], fill=(255, 255, 255)); d.rectangle([70, 5, 122, 30], fill=(140, 120, 160))
        d.rectangle([90, 60, 125, 117], fill=(110, 130, 90))
    return im

PUBLIC = [
    dict(id="i2i_pndm", mode="img2img", init="A", prompt="a red circle on a blue background", scheduler="pndm", steps=20, strength=0.75, guidance=7.5, seed=0),
    dict(id="inpaint_ddim", mode="inpaint", init="A", mask="left", prompt="a blue cross on a yellow background", scheduler="ddim", steps=20, strength=1.0, guidance=7.5, seed=0),
    dict(id="inpaint_euler", mode="inpaint", init="B", mask="center", prompt="a white star on a black background", scheduler="euler", steps=20, strength=0.8, guidance=7.5, seed=7),
]
EXTRA = [  # the other samplers, strengths 0.3 .. 1.0, a mask off the 8-pixel grid, negative prompts
    dict(id="i2i_euler_a_05", mode="img2img", init="B", prompt="a green triangle on a white background", scheduler="euler_a", steps=12, strength=0.5, guidance=7.5, seed=3),
    dict(id="i2i_ddim_03", mode="img2img", init="A", prompt="a yellow square on a green background", scheduler="ddim", steps=20, strength=0.3, guidance=7.5, seed=11),
    dict(id="i2i_lms_10", mode="img2img", init="A", prompt="a purple star on a white background", scheduler="lms", steps=10, strength=1.0, guidance=7.5, seed=5),
    dict(id="i2i_heun_06", mode="img2img", init="B", prompt="a red circle on a black background", scheduler="heun", steps=8, strength=0.6, guidance=5.0, seed=2),
    dict(id="i2i_dpmpp_2m_karras_07", mode="img2img", init="A", prompt="a blue cross on a yellow background", negative_prompt="green", scheduler="dpmpp_2m_karras", steps=15, strength=0.7, guidance=7.5, seed=9),
    dict(id="inpaint_unipc_blob", mode="inpaint", init="B", mask="blob", prompt="a orange square on a blue background", scheduler="unipc", steps=12, strength=0.9, guidance=7.5, seed=4),
    dict(id="inpaint_dpmpp_2m_neg", mode="inpaint", init="A", mask="center", prompt="a white star on a black background", negative_prompt="yellow square", scheduler="dpmpp_2m", steps=10, strength=0.5, guidance=7.5, seed=21),
    dict(id="inpaint_euler_a_blob", mode="inpaint", init="A", mask="blob", prompt="a red circle on a blue background", scheduler="euler_a", steps=10, strength=1.0, guidance=7.5, seed=8),
    dict(id="inpaint_heun_03", mode="inpaint", init="B", mask="left", prompt="a black triangle on a white background", scheduler="heun", steps=10, strength=0.3, guidance=7.5, seed=1),
    dict(id="inpaint_pndm_blob", mode="inpaint", init="B", mask="blob", prompt="a yellow cross on a purple background", scheduler="pndm", steps=15, strength=0.75, guidance=7.5, seed=6),
    dict(id="inpaint_lms_nocfg", mode="inpaint", init="A", mask="left", prompt="a green circle on a red background", scheduler="lms", steps=10, strength=0.6, guidance=1.0, seed=13),
]

IMAGE_AS = sys.argv[sys.argv.index("--image-as") + 1] if "--image-as" in sys.argv else "tensor"

def pipeline_image(pil):
    """The init picture as diffusers gets it: a PIL picture, or the same values as a contiguous [0, 1] float tensor."""
    if IMAGE_AS == "pil": return pil
    return torch.from_numpy(np.array(pil).astype(np.float32) / 255.0).permute(2, 0, 1)[None].contiguous()

def run(pipes, c, out):
    i2i, inp = pipes
    pipe = i2i if c["mode"] == "img2img" else inp
    cls, extra = SCHED[c["scheduler"]]
    pipe.scheduler = cls.from_config(pipe.scheduler.config, **extra)
    init = init_image(c["init"]); init_name = f"init_{c['init']}.png"; init.save(os.path.join(out, init_name))
    kw = dict(prompt=c["prompt"], negative_prompt=c.get("negative_prompt"), image=pipeline_image(init), strength=c["strength"],
              num_inference_steps=c["steps"], guidance_scale=c["guidance"])
    entry = dict(c); entry["init_image"] = init_name
    if c["mode"] == "inpaint":
        m = mask_image(c["mask"]); mname = f"mask_{c['mask']}.png"; m.save(os.path.join(out, mname))
        kw.update(mask_image=m, height=128, width=128); entry["mask_image"] = mname
    with torch.no_grad():
        img = pipe(**kw, generator=torch.Generator().manual_seed(c["seed"]), output_type="np").images[0]
        lat = pipe(**kw, generator=torch.Generator().manual_seed(c["seed"]), output_type="latent").images
    img = np.ascontiguousarray(img.transpose(2, 0, 1)[None]).astype(np.float32)   # 1x3x128x128 in [0,1]
    img.tofile(os.path.join(out, f"img_{c['id']}.f32")); lat.numpy().astype(np.float32).tofile(os.path.join(out, f"lat_{c['id']}.f32"))
    Image.fromarray((img[0].transpose(1, 2, 0) * 255).round().astype(np.uint8)).save(os.path.join(out, f"img_{c['id']}.png"))
    entry.update(image=f"img_{c['id']}.f32", latents=f"lat_{c['id']}.f32")
    return entry, img, lat.numpy()

if __name__ == "__main__":
    folder, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    pipes = load_pipes(folder)
    check = sys.argv[sys.argv.index("--check") + 1] if "--check" in sys.argv else None
    if "--threads" in sys.argv: torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    manifest = []
    for c in PUBLIC + ([] if "--public-only" in sys.argv else EXTRA):
        entry, img, lat = run(pipes, c, out)
        if check and c in PUBLIC:
            ref_img = np.fromfile(os.path.join(check, f"img_{c['id']}.f32"), dtype=np.float32)
            ref_lat = np.fromfile(os.path.join(check, f"lat_{c['id']}.f32"), dtype=np.float32)
            d_img = float(np.abs(img.reshape(-1) - ref_img).max())
            d_lat = float(np.linalg.norm(lat.reshape(-1) - ref_lat) / np.linalg.norm(ref_lat))
            entry["vs_issue_reference"] = dict(image_max_abs=d_img, latents_rel_l2=d_lat)
            print(c["id"], "vs the torch checkpoint's reference: image max abs", d_img, "latents rel L2", d_lat, flush=True)
        else:
            print(c["id"], float(img.mean()), flush=True)
        manifest.append(entry)
    note = (f"diffusers {diffusers.__version__} pipelines, torch {torch.__version__} CPU fp32 ({torch.get_num_threads()} threads); VAE = torch, rebuilt from "
            f"{os.path.basename(os.path.normpath(folder))}'s ONNX weights; text encoder + UNet = its ONNX on onnxruntime {ort.__version__} CPU; "
            f"init image as {'a contiguous float tensor' if IMAGE_AS == 'tensor' else 'a PIL picture'}; VAE latents = encoder mean (argmax); tools/make_img2img_refs.py")
    json.dump(dict(model=os.path.basename(os.path.normpath(folder)), note=note, cases=manifest), open(os.path.join(out, "manifest.json"), "w"), indent=1)
