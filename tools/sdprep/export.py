"""Stage 1: the fp32 export of each part with torch.onnx.export (TorchScript exporter, dynamic axes),
with diffusers' ONNX tensor names (as diffusers' scripts/convert_stable_diffusion_checkpoint_to_onnx.py)."""
import os


def load_components(checkpoint, taesd=None, loras=()):
    """Loaders of the torch models the parts are exported from (each loaded only when a part needs it); with
    `loras` [(path, weight)], the UNet and text encoder come with those LoRAs fused in (sdprep/lora.py)."""
    from diffusers import AutoencoderKL, AutoencoderTiny, UNet2DConditionModel
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPTextModel
    if loras:
        from sdprep.lora import fused_pipeline
        fused = {}

        def pipe():  # one fused pipeline per process, only when the UNet or text encoder is exported
            if "pipe" not in fused:
                fused["pipe"] = fused_pipeline(checkpoint, loras)
            return fused["pipe"]
    components = {
        "text_encoder": lambda: CLIPTextModel.from_pretrained(checkpoint, subfolder="text_encoder", attn_implementation="eager"),
        "unet": lambda: UNet2DConditionModel.from_pretrained(checkpoint, subfolder="unet"),
        "vae": lambda: AutoencoderKL.from_pretrained(checkpoint, subfolder="vae"),
        "taesd": lambda: AutoencoderTiny.from_pretrained(taesd),
        "safety_checker": lambda: StableDiffusionSafetyChecker.from_pretrained(checkpoint, subfolder="safety_checker",
                                                                               attn_implementation="eager"),
    }
    if loras:
        components.update(text_encoder=lambda: pipe().text_encoder, unet=lambda: pipe().unet)
    return components


def export_fp32(part, components, path, opset, device):
    """torch.onnx.export of one part in fp32, with diffusers' ONNX tensor names and dynamic axes."""
    import torch

    class Unet(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, sample, timestep, encoder_hidden_states):
            return self.m(sample, timestep, encoder_hidden_states, return_dict=False)[0]

    class LcmUnet(Unet):
        """An LCM-distilled UNet (config time_cond_proj_dim): the guidance embedding is a fourth input."""

        def forward(self, sample, timestep, encoder_hidden_states, timestep_cond):
            return self.m(sample, timestep, encoder_hidden_states, timestep_cond=timestep_cond, return_dict=False)[0]

    class TextEncoder(Unet):
        def forward(self, input_ids):
            out = self.m(input_ids, return_dict=False)
            return out[0], out[1]

    class VaeDecoder(Unet):
        def forward(self, latent_sample):
            return self.m.decode(latent_sample, return_dict=False)[0]

    class VaeEncoder(Unet):
        def forward(self, sample):
            return self.m.encode(sample).latent_dist.mean

    class TaesdDecoder(Unet):  # AutoencoderTiny.decode: tanh(x / 3) * 3, the decoder, then [0, 1] -> [-1, 1]
        def forward(self, latent_sample):
            return self.m.decode(latent_sample, return_dict=False)[0]

    class TaesdEncoder(Unet):  # AutoencoderTiny.encode: [-1, 1] -> [0, 1], the encoder (its latents, unscaled)
        def forward(self, sample):
            return self.m.encode(sample, return_dict=False)[0]

    class SafetyChecker(Unet):
        """StableDiffusionSafetyChecker.forward_onnx (what diffusers' ONNX export traces: the decision without
        forward's rounding to 3 decimals), with its `images[has_nsfw_concepts] = 0.0` written as a Where: traced
        at batch 1, the masked assignment fixed the mask's broadcast to batch 1 (onnxruntime refused batch 8)."""

        def forward(self, clip_input, images):
            from diffusers.pipelines.stable_diffusion.safety_checker import cosine_distance
            m = self.m
            image_embeds = m.visual_projection(m.vision_model(clip_input)[1])
            special_scores = cosine_distance(image_embeds, m.special_care_embeds) - m.special_care_embeds_weights
            special_adjustment = torch.any(special_scores > 0, dim=1) * 0.01
            concept_scores = (cosine_distance(image_embeds, m.concept_embeds) - m.concept_embeds_weights) + special_adjustment[:, None]
            has_nsfw_concepts = torch.any(concept_scores > 0, dim=1)
            return torch.where(has_nsfw_concepts[:, None, None, None], torch.zeros_like(images), images), has_nsfw_concepts

    image = dict(batch=0, channels=1, height=2, width=3)
    nchw = {i: n for n, i in image.items()}
    if part == "unet":
        m = components["unet"]()
        c = m.config
        side = c.sample_size if isinstance(c.sample_size, int) else c.sample_size[0]
        model = Unet(m)
        args = (torch.randn(2, c.in_channels, side, side), torch.tensor([999.0, 999.0]), torch.randn(2, 77, c.cross_attention_dim))
        names = (["sample", "timestep", "encoder_hidden_states"], ["out_sample"])
        axes = {"sample": nchw, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": nchw}
        if c.get("time_cond_proj_dim"):  # float32 [batch, time_cond_proj_dim]: get_guidance_scale_embedding(guidance - 1)
            model = LcmUnet(m)
            args += (torch.randn(2, c.time_cond_proj_dim),)
            names[0].append("timestep_cond")
            axes["timestep_cond"] = {0: "batch"}
    elif part == "text_encoder":
        model = TextEncoder(components["text_encoder"]())
        args = (torch.zeros(1, 77, dtype=torch.int32),)
        names = (["input_ids"], ["last_hidden_state", "pooler_output"])
        axes = {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}
    elif part in ("taesd_decoder", "taesd_encoder"):
        taesd = components["taesd"]()
        c = taesd.config
        if part == "taesd_decoder":
            model = TaesdDecoder(taesd)
            args = (torch.randn(1, c.latent_channels, 16, 16),)
            names = (["latent_sample"], ["sample"])
            axes = {"latent_sample": nchw, "sample": nchw}
        else:
            model = TaesdEncoder(taesd)
            args = (torch.rand(1, c.in_channels, 128, 128) * 2 - 1,)
            names = (["sample"], ["latent_sample"])
            axes = {"sample": nchw, "latent_sample": nchw}
    elif part == "safety_checker":
        checker = components["safety_checker"]()
        v = checker.config.vision_config
        model = SafetyChecker(checker)
        args = (torch.randn(1, v.num_channels, v.image_size, v.image_size), torch.rand(1, 64, 64, 3))
        names = (["clip_input", "images"], ["out_images", "has_nsfw_concepts"])
        nhwc = {0: "batch", 1: "image_height", 2: "image_width", 3: "image_channels"}  # not clip_input's height/width
        axes = {"clip_input": nchw, "images": nhwc, "out_images": nhwc, "has_nsfw_concepts": {0: "batch"}}
    else:
        vae = components["vae"]()
        c = vae.config
        side = c.sample_size if isinstance(c.sample_size, int) else c.sample_size[0]
        if part == "vae_decoder":
            model = VaeDecoder(vae)
            args = (torch.randn(1, c.latent_channels, side // 8, side // 8),)
            names = (["latent_sample"], ["sample"])
            axes = {"latent_sample": nchw, "sample": nchw}
        else:
            model = VaeEncoder(vae)
            args = (torch.randn(1, c.in_channels, side, side),)
            names = (["sample"], ["latent_sample"])
            axes = {"sample": nchw, "latent_sample": nchw}
    model = model.eval().to(device)
    args = tuple(a.to(device) for a in args)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, args, path, dynamo=False, input_names=names[0], output_names=names[1], dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True)
    del model

