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
                   "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
                   "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
                   "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
                   "safety_checker": [None, None], "feature_extractor": [None, None], "requires_safety_checker": False}, f, indent=2)
