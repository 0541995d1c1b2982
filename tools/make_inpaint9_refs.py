"""A tiny random 9-channel inpainting UNet (sd-v1-5-inpainting's layout) and diffusers' references for it.

The UNet: diffusers UNet2DConditionModel with in_channels=9 (latents 4 + mask 1 + masked-image latents 4),
out_channels=4, cross-attention to shapes-sd's 64-wide text encoder, seeded random weights (torch.manual_seed(0)),
exported as torch.onnx exports diffusers' UNets (opset 17; the channel dim static, so the session's metadata
shows 9). It is used with the bundled shapes-sd's tokenizer, text encoder, VAE and scheduler, so only the UNet
is committed (OUT_DIR/unet/: model.onnx, config.json).

The references: diffusers' StableDiffusionInpaintPipeline (torch CPU fp32) with that UNet as a torch module,
the torch VAE rebuilt from shapes-sd's ONNX weights (tools/torch_vae_from_onnx.py), shapes-sd's text encoder on
onnxruntime CPU; VAE latents = the encoder's mean (retrieve_latents with sample_mode="argmax"); the init picture
as a contiguous float tensor in [0, 1] (tools/make_img2img_refs.py says why), the mask as a PIL picture.
For a 9-channel UNet diffusers encodes masked_image = image * (mask < 0.5), interpolates the mask to latent size
(nearest), feeds [latents, mask, masked_image_latents] and re-noises nothing.

Usage: PYTHONPATH=/path/to/diffusers/src python tools/make_inpaint9_refs.py public/models/shapes-sd-fp32 fixtures/inpaint9
  writes OUT_DIR/unet/{model.onnx,config.json}, OUT_DIR/manifest.json, init_*.png, mask_*.png, img_<id>.f32, lat_<id>.f32
"""
import json, os, sys
import numpy as np, torch
import diffusers
from diffusers import UNet2DConditionModel, StableDiffusionInpaintPipeline
import make_img2img_refs as R   # argmax latents, ONNX text encoder wrapper, torch VAE, pictures, schedulers

CASES = [
    dict(id="inpaint9_ddim_blob", mode="inpaint", init="B", mask="blob", prompt="a red circle on a blue background", scheduler="ddim", steps=12, strength=1.0, guidance=7.5, seed=3),
    dict(id="inpaint9_euler_075", mode="inpaint", init="A", mask="center", prompt="a white star on a black background", negative_prompt="green", scheduler="euler", steps=12, strength=0.75, guidance=7.5, seed=5),
]

def tiny_unet():
    torch.manual_seed(0)
    return UNet2DConditionModel(sample_size=16, in_channels=9, out_channels=4, layers_per_block=1, block_out_channels=(24, 48),
                                down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                                cross_attention_dim=64, attention_head_dim=4, norm_num_groups=8).eval()

class Export(torch.nn.Module):
    def __init__(self, unet): super().__init__(); self.unet = unet
    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]

if __name__ == "__main__":
    folder, out = sys.argv[1], sys.argv[2]
    os.makedirs(f"{out}/unet", exist_ok=True)
    unet = tiny_unet()
    print("UNet parameters", sum(p.numel() for p in unet.parameters()), flush=True)
    with torch.no_grad():
        torch.onnx.export(Export(unet), (torch.randn(2, 9, 16, 16), torch.tensor([999.0, 999.0]), torch.randn(2, 77, 64)), f"{out}/unet/model.onnx",
                          input_names=["sample", "timestep", "encoder_hidden_states"], output_names=["out_sample"], opset_version=17, do_constant_folding=True,
                          dynamic_axes={"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"}}, dynamo=False)
    unet.save_config(f"{out}/unet")
    cfg = lambda part: json.load(open(f"{folder}/{part}/config.json"))
    pipe = StableDiffusionInpaintPipeline(vae=R.Vae(folder, cfg("vae_decoder")), text_encoder=R.TextEncoder(f"{folder}/text_encoder/model.onnx", cfg("text_encoder")),
                                          tokenizer=R.CLIPTokenizer.from_pretrained(f"{folder}/tokenizer"), unet=unet,
                                          scheduler=R.PNDMScheduler.from_pretrained(f"{folder}/scheduler"), safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    manifest = []
    for c in CASES:
        entry, img, lat = R.run((None, pipe), c, out)
        manifest.append(entry)
        print(c["id"], "image mean", float(img.mean()), "latents std", float(lat.std()), flush=True)
    note = (f"diffusers {diffusers.__version__} StableDiffusionInpaintPipeline, torch {torch.__version__} CPU fp32; UNet = tools/make_inpaint9_refs.py's tiny "
            f"random 9-channel UNet (torch); VAE = torch rebuilt from {os.path.basename(os.path.normpath(folder))}'s ONNX weights; text encoder = its ONNX on onnxruntime CPU; "
            "init image as a contiguous float tensor; VAE latents = encoder mean (argmax)")
    json.dump(dict(model="shapes-sd + unet/ (9 channels)", note=note, cases=manifest), open(f"{out}/manifest.json", "w"), indent=1)
