"""--lora FILE[:WEIGHT]: LoRAs baked into the UNet and text encoder before the export, with diffusers
(StableDiffusionPipeline.load_lora_weights with an adapter name each, set_adapters with their weights,
fuse_lora, unload_lora_weights: the fused weights stay, the LoRA layers go)."""
import os


def parse_lora(spec):
    """'FILE' or 'FILE:WEIGHT' -> (absolute path, weight); the weight defaults to 1."""
    path, weight = spec, 1.0
    head, sep, tail = spec.rpartition(":")
    if sep and head:
        try:
            path, weight = head, float(tail)
        except ValueError:
            pass
    if weight != weight:  # NaN
        raise ValueError(f"{spec}: the weight is not a number")
    return os.path.abspath(path), weight


def fused_pipeline(checkpoint, loras):
    """The checkpoint's StableDiffusionPipeline with `loras` [(path, weight)] fused into its UNet and text encoder."""
    from diffusers import StableDiffusionPipeline
    from transformers import CLIPTextModel
    text_encoder = CLIPTextModel.from_pretrained(checkpoint, subfolder="text_encoder", attn_implementation="eager")
    pipe = StableDiffusionPipeline.from_pretrained(checkpoint, text_encoder=text_encoder, safety_checker=None,
                                                   feature_extractor=None, requires_safety_checker=False)
    names = [f"lora_{i}" for i in range(len(loras))]
    for name, (path, _) in zip(names, loras):
        pipe.load_lora_weights(os.path.dirname(path), weight_name=os.path.basename(path), adapter_name=name)
    pipe.set_adapters(names, adapter_weights=[weight for _, weight in loras])
    pipe.fuse_lora(adapter_names=names, lora_scale=1.0)
    pipe.unload_lora_weights()
    return pipe
