"""The folder around the graphs: model_index.json and each part's configs (diffusers' ONNX layout)."""
import json
import os
import shutil


OPTIONAL_PARTS = ("taesd_decoder", "taesd_encoder", "safety_checker")


def optional_parts(checkpoint, taesd):
    """The optional parts this checkpoint (and --taesd folder) can give: the tiny autoencoder's decoder, its
    encoder when the folder's weights have one, and the checkpoint's safety_checker/ when it has one."""
    parts = []
    if taesd:
        parts.append("taesd_decoder")
        if taesd_has_encoder(taesd):
            parts.append("taesd_encoder")
    if os.path.isfile(os.path.join(checkpoint, "safety_checker", "config.json")):
        parts.append("safety_checker")
    return parts


def taesd_has_encoder(taesd):
    """Whether an AutoencoderTiny folder's weights include the encoder (madebyollin/taesd's do)."""
    from safetensors import safe_open
    path = os.path.join(taesd, "diffusion_pytorch_model.safetensors")
    if not os.path.isfile(path):
        return True  # a .bin checkpoint: diffusers' AutoencoderTiny always has both halves
    with safe_open(path, "np") as f:
        return any(key.startswith("encoder.") for key in f.keys())


def _copy_json(src_dir, dst_dir, names=None):
    os.makedirs(dst_dir, exist_ok=True)
    for name in os.listdir(src_dir):
        if name.endswith((".json", ".txt")) and (names is None or name in names):
            shutil.copyfile(os.path.join(src_dir, name), os.path.join(dst_dir, name))


def copy_configs(checkpoint, out_dir, parts=(), taesd=None):
    """Each part's configs and model_index.json. The optional parts are listed when made now (in `parts`)
    or earlier (their model.onnx is in out_dir); the base four always are."""
    for part in parts:
        if part in ("taesd_decoder", "taesd_encoder"):
            _copy_json(taesd, os.path.join(out_dir, part), ["config.json"])
        elif part == "safety_checker":
            _copy_json(os.path.join(checkpoint, "safety_checker"), os.path.join(out_dir, part), ["config.json"])
            _copy_json(os.path.join(checkpoint, "feature_extractor"), os.path.join(out_dir, "feature_extractor"), ["preprocessor_config.json"])
    made = [p for p in OPTIONAL_PARTS if p in parts or os.path.isfile(os.path.join(out_dir, p, "model.onnx"))]
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
                   "safety_checker": [None, None], "feature_extractor": [None, None], "requires_safety_checker": False,
                   **model_index_entries(made)}, f, indent=2)


def model_index_entries(parts):
    """model_index.json entries of the optional parts (diffusers' names for the safety checker)."""
    entries = {}
    if "safety_checker" in parts:
        entries.update(safety_checker=["diffusers", "OnnxRuntimeModel"], feature_extractor=["transformers", "CLIPImageProcessor"],
                       requires_safety_checker=True)
    entries.update({p: ["diffusers", "OnnxRuntimeModel"] for p in parts if p.startswith("taesd_")})
    return entries


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
