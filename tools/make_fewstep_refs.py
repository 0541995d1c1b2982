"""Few-step references (issue 20) computed by diffusers' own pipelines, for src/engine/fewstep-diffusers.test.ts.

Three models, each driven end to end from a seed (`generator=torch.Generator().manual_seed(seed)`: the initial
latents, then every step's noise for LCM / TCD / DDIM with eta / Euler a), the scheduler swapped as users swap it,
`Class.from_config(<the folder's scheduler_config.json>, timestep_spacing=...)`, `eta` passed to the pipeline:

1. tiny-sd-fp32 (torch, rebuilt bit for bit by tools/make_tiny_checkpoint.py's build_tiny), StableDiffusionPipeline
   at 64x64: LCM / TCD / DDIM eta / Euler a / DPM++ / PNDM / Euler at 1-8 steps, guidance 0, 1 and > 1 (a negative
   prompt with guidance <= 1 is given and ignored, as diffusers ignores it), each spacing override.
2. shapes-sd-fp32 (public/models; text encoder + UNet = its ONNX on onnxruntime CPU, VAE = torch rebuilt from its
   ONNX weights: tools/make_img2img_refs.py's wrappers), StableDiffusionPipeline at 64x64 (LCM, TCD, DDIM trailing)
   and StableDiffusionImg2ImgPipeline with LCM at strength 0.5 (init picture: make_img2img_refs' "A" at 64x64).
3. An LCM-distilled UNet: a tiny random UNet2DConditionModel with time_cond_proj_dim 32 (cross-attention to
   shapes-sd's 64-wide text encoder), exported to OUT/lcm-unet/unet/model.onnx with inputs sample, timestep,
   encoder_hidden_states, timestep_cond; references from LatentConsistencyModelPipeline (shapes-sd's tokenizer,
   text encoder, VAE; LCMScheduler.from_config(shapes-sd's scheduler file)), guidance 8 / 1.5 / 1.
Also `guidance_embeddings`: LatentConsistencyModelPipeline.get_guidance_scale_embedding(w, d) for a few w, d.

Usage: PYTHONPATH=/path/to/diffusers/src python tools/make_fewstep_refs.py fixtures/fewstep-refs
Writes manifest.json, <id>_latents.f32 (1,4,8,8) and <id>_image.f32 (1,3,64,64) in [0,1], init_A64.png,
lcm-unet/unet/{model.onnx,config.json}.
"""
import json, os, sys
import numpy as np, torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ref_arrays import save  # noqa: E402
torch.set_num_threads(1)
import diffusers  # noqa: E402
from diffusers import (StableDiffusionPipeline, StableDiffusionImg2ImgPipeline, LatentConsistencyModelPipeline,  # noqa: E402
                       UNet2DConditionModel, LCMScheduler)
from transformers import CLIPTokenizer  # noqa: E402
from make_tiny_checkpoint import build_tiny  # noqa: E402
import make_img2img_refs as R  # noqa: E402

ROOT = os.path.join(HERE, "..")
TINY = os.path.join(ROOT, "fixtures", "tiny-sd-fp32")
SHAPES = os.path.join(ROOT, "public", "models", "shapes-sd-fp32")
CLASSES = {"pndm": "PNDMScheduler", "ddim": "DDIMScheduler", "euler": "EulerDiscreteScheduler", "euler_a": "EulerAncestralDiscreteScheduler",
           "dpmpp_2m": "DPMSolverMultistepScheduler", "unipc": "UniPCMultistepScheduler", "lms": "LMSDiscreteScheduler",
           "heun": "HeunDiscreteScheduler", "lcm": "LCMScheduler", "tcd": "TCDScheduler"}
P = "a red circle on a blue background"
TINY_CASES = [
    dict(id="tiny_lcm_4_g1", prompt=P, scheduler="lcm", steps=4, guidance=1.0, seed=1),
    dict(id="tiny_lcm_2_g0_neg", prompt=P, negative_prompt="green, blurry", scheduler="lcm", steps=2, guidance=0.0, seed=2),
    dict(id="tiny_lcm_1_g1", prompt="a yellow star", scheduler="lcm", steps=1, guidance=1.0, seed=3),
    dict(id="tiny_lcm_8_g2", prompt=P, negative_prompt="green", scheduler="lcm", steps=8, guidance=2.0, seed=4),
    dict(id="tiny_tcd_4_eta03_g0", prompt=P, scheduler="tcd", steps=4, guidance=0.0, eta=0.3, seed=5),
    dict(id="tiny_tcd_2_eta0_g1", prompt="a white cross", scheduler="tcd", steps=2, guidance=1.0, eta=0.0, seed=6),
    dict(id="tiny_ddim_trailing_4_eta05", prompt=P, negative_prompt="blurry", scheduler="ddim", steps=4, guidance=7.5, eta=0.5, timestep_spacing="trailing", seed=7),
    dict(id="tiny_ddim_linspace_2_eta1_g1", prompt=P, scheduler="ddim", steps=2, guidance=1.0, eta=1.0, timestep_spacing="linspace", seed=8),
    dict(id="tiny_euler_a_trailing_4_g5", prompt=P, scheduler="euler_a", steps=4, guidance=5.0, timestep_spacing="trailing", seed=9),
    dict(id="tiny_dpmpp_2m_leading_8_g3", prompt=P, scheduler="dpmpp_2m", steps=8, guidance=3.0, timestep_spacing="leading", seed=10),
    dict(id="tiny_pndm_linspace_8_g1", prompt=P, negative_prompt="green", scheduler="pndm", steps=8, guidance=1.0, timestep_spacing="linspace", seed=11),
    dict(id="tiny_euler_leading_4_g0", prompt="a purple square", scheduler="euler", steps=4, guidance=0.0, timestep_spacing="leading", seed=12),
]
SHAPES_CASES = [
    dict(id="shapes_lcm_4_g1", prompt=P, scheduler="lcm", steps=4, guidance=1.0, seed=0),
    dict(id="shapes_tcd_4_eta03_g0", prompt="a white star on a black background", scheduler="tcd", steps=4, guidance=0.0, eta=0.3, seed=1),
    dict(id="shapes_ddim_trailing_4_g75", prompt="a green triangle on a white background", negative_prompt="red", scheduler="ddim", steps=4, guidance=7.5, timestep_spacing="trailing", seed=2),
    dict(id="shapes_i2i_lcm_4_s05", mode="img2img", init="init_A64.png", prompt="a blue cross on a yellow background", scheduler="lcm", steps=4, guidance=1.0, strength=0.5, seed=3),
    dict(id="shapes_i2i_lcm_8_s05_g0", mode="img2img", init="init_A64.png", prompt=P, scheduler="lcm", steps=8, guidance=0.0, strength=0.5, seed=4),
]
LCM_UNET_CASES = [
    dict(id="lcmunet_4_g8", prompt=P, scheduler="lcm", steps=4, guidance=8.0, seed=0),
    dict(id="lcmunet_2_g15", prompt="a yellow square on a green background", scheduler="lcm", steps=2, guidance=1.5, seed=1),
    dict(id="lcmunet_1_g1", prompt="a white star", scheduler="lcm", steps=1, guidance=1.0, seed=2),
]
SIZE = 64


def scheduler_for(case, config):
    kw = {"timestep_spacing": case["timestep_spacing"]} if case.get("timestep_spacing") else {}
    return getattr(diffusers, CLASSES[case["scheduler"]]).from_config(config, **kw)


def run(pipe, case, out, **extra):
    final = {}

    def keep(p, i, t, kw):
        final["latents"] = kw["latents"].detach().clone()
        return kw
    args = dict(prompt=case["prompt"], num_inference_steps=case["steps"], guidance_scale=case["guidance"],
                generator=torch.Generator().manual_seed(case["seed"]), output_type="np",
                callback_on_step_end=keep, callback_on_step_end_tensor_inputs=["latents"], **extra)
    if not isinstance(pipe, LatentConsistencyModelPipeline):
        args.update(negative_prompt=case.get("negative_prompt"), eta=case.get("eta", 0.0))
    if "strength" not in case:
        args.update(height=SIZE, width=SIZE)
    with torch.no_grad():
        image = pipe(**args).images
    # LatentConsistencyModelPipeline decodes `denoised`, which equals the last step's latents (no noise after it)
    entry = dict(case, final_latents=save(out, f"{case['id']}_latents.f32", final["latents"].numpy()),
                 image=save(out, f"{case['id']}_image.f32", np.transpose(image, (0, 3, 1, 2))))
    print(case["id"], "image mean", float(image.mean()), flush=True)
    return entry


class LcmExport(torch.nn.Module):
    def __init__(self, unet): super().__init__(); self.unet = unet
    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond):
        return self.unet(sample, timestep, encoder_hidden_states, timestep_cond=timestep_cond, return_dict=False)[0]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = {"source": f"diffusers {diffusers.__version__} pipelines, torch {torch.__version__} CPU fp32; tools/make_fewstep_refs.py",
                "command": "PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_fewstep_refs.py fixtures/fewstep-refs",
                "size": SIZE, "tiny": [], "shapes": [], "lcm_unet": []}
    # 1. tiny-sd
    tiny_sched = json.load(open(os.path.join(TINY, "scheduler", "scheduler_config.json")))
    unet, vae, text_encoder = build_tiny(json.load(open(os.path.join(TINY, "tiny_config.json"))))
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(TINY, "tokenizer"))
    for case in TINY_CASES:
        pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler_for(case, tiny_sched),
                                       safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        manifest["tiny"].append(run(pipe, case, out))
    # 2. shapes-sd
    i2i, _ = R.load_pipes(SHAPES)
    shapes_sched = json.load(open(os.path.join(SHAPES, "scheduler", "scheduler_config.json")))
    parts = {k: v for k, v in i2i.components.items()}
    txt = StableDiffusionPipeline(**parts); txt.set_progress_bar_config(disable=True)
    init = R.init_image("A").resize((SIZE, SIZE), R.Image.BILINEAR)
    init.save(os.path.join(out, "init_A64.png"))
    for case in SHAPES_CASES:
        pipe = i2i if case.get("mode") == "img2img" else txt
        pipe.scheduler = scheduler_for(case, shapes_sched)
        extra = dict(image=R.pipeline_image(init), strength=case["strength"]) if case.get("mode") == "img2img" else {}
        manifest["shapes"].append(run(pipe, case, out, **extra))
    # 3. the LCM-distilled tiny UNet with shapes-sd's other parts
    os.makedirs(os.path.join(out, "lcm-unet", "unet"), exist_ok=True)
    torch.manual_seed(0)
    lcm_unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
                                    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                                    cross_attention_dim=64, attention_head_dim=4, norm_num_groups=8, time_cond_proj_dim=32).eval()
    with torch.no_grad():
        torch.onnx.export(LcmExport(lcm_unet), (torch.randn(1, 4, 8, 8), torch.tensor([999.0]), torch.randn(1, 77, 64), torch.randn(1, 32)),
                          os.path.join(out, "lcm-unet", "unet", "model.onnx"), input_names=["sample", "timestep", "encoder_hidden_states", "timestep_cond"],
                          output_names=["out_sample"], opset_version=17, do_constant_folding=True, dynamo=False,
                          dynamic_axes={"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                                        "encoder_hidden_states": {0: "batch", 1: "sequence"}, "timestep_cond": {0: "batch"}})
    lcm_unet.save_config(os.path.join(out, "lcm-unet", "unet"))
    lcm = LatentConsistencyModelPipeline(vae=parts["vae"], text_encoder=parts["text_encoder"], tokenizer=parts["tokenizer"], unet=lcm_unet,
                                         scheduler=LCMScheduler.from_config(shapes_sched), safety_checker=None, feature_extractor=None,
                                         requires_safety_checker=False)
    lcm.set_progress_bar_config(disable=True)
    for case in LCM_UNET_CASES:
        manifest["lcm_unet"].append(run(lcm, case, out))
    manifest["guidance_embeddings"] = [
        {"w": w, "dim": d, "values": lcm.get_guidance_scale_embedding(torch.tensor([w]), embedding_dim=d)[0].tolist()}
        for w, d in ((7.0, 32), (0.5, 32), (0.0, 16), (3.25, 256), (1.0, 33))]
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
