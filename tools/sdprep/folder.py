"""The folder around the graphs: model_index.json and each part's configs (diffusers' ONNX layout)."""
import json
import os
import shutil


def copy_configs(checkpoint, out_dir):
    for source, targets in {"scheduler": ["scheduler"], "tokenizer": ["tokenizer"], "text_encoder": ["text_encoder"],
                            "unet": ["unet"], "vae": ["vae_decoder", "vae_encoder"]}.items():
        src = os.path.join(checkpoint, source)
        for target in targets:
            os.makedirs(os.path.join(out_dir, target), exist_ok=True)
            for name in os.listdir(src):
                if name.endswith((".json", ".txt")):
                    shutil.copyfile(os.path.join(src, name), os.path.join(out_dir, target, name))
    with open(os.path.join(out_dir, "model_index.json"), "w") as f:
        json.dump({"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.36.0",
                   "scheduler": ["diffusers", scheduler_class(checkpoint)], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
                   "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
                   "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
                   "safety_checker": [None, None], "feature_extractor": [None, None], "requires_safety_checker": False}, f, indent=2)


def scheduler_class(checkpoint):
    """The checkpoint's scheduler class (LCMScheduler for an LCM-distilled checkpoint): scheduler_config.json's
    _class_name, else model_index.json's scheduler entry, else PNDMScheduler (SD v1.4's)."""
    def read(*path):
        try:
            with open(os.path.join(checkpoint, *path)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}
    name = read("scheduler", "scheduler_config.json").get("_class_name")
    entry = read("model_index.json").get("scheduler")
    if not name and isinstance(entry, list) and len(entry) == 2:
        name = entry[1]
    return name or "PNDMScheduler"
