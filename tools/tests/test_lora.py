"""--lora FILE[:WEIGHT] (repeatable): random LoRAs made with peft (LoraConfig, alpha != rank) on the tiny UNet and
text encoder, saved with diffusers' save_lora_weights, baked in by prepare_model.py; the exported UNet and text
encoder compute what diffusers' pipeline computes with the same LoRAs loaded as adapters at those weights
(load_lora_weights + set_adapters, not fused: an independent path)."""
import os

import numpy as np
import pytest

from conftest import needs, prepare, rel_l2

needs("torch", "diffusers", "transformers", "peft", "onnx", "onnxruntime")


def save_lora(checkpoint, directory, unet, text_encoder, seed):
    """A random LoRA file (diffusers/peft format) for the checkpoint's UNet and/or text encoder."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    from transformers import CLIPTextModel
    torch.manual_seed(seed)
    layers = {}
    if unet:
        model = UNet2DConditionModel.from_pretrained(checkpoint, subfolder="unet")
        model.add_adapter(LoraConfig(r=4, lora_alpha=6, init_lora_weights=False,
                                     target_modules=["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out"]))
        layers["unet_lora_layers"] = get_peft_model_state_dict(model)  # the peft format: lora_A / lora_B
    if text_encoder:
        model = CLIPTextModel.from_pretrained(checkpoint, subfolder="text_encoder")
        model.add_adapter(LoraConfig(r=2, lora_alpha=5, init_lora_weights=False, target_modules=["q_proj", "k_proj", "v_proj", "out_proj"]))
        layers["text_encoder_lora_layers"] = get_peft_model_state_dict(model)
    StableDiffusionPipeline.save_lora_weights(directory, safe_serialization=True, **layers)
    return os.path.join(directory, "pytorch_lora_weights.safetensors")


@pytest.fixture(scope="module")
def loras(tiny_checkpoint, tmp_path_factory):
    base = tmp_path_factory.mktemp("loras")
    first = save_lora(tiny_checkpoint, str(base / "a"), unet=True, text_encoder=True, seed=11)
    second = save_lora(tiny_checkpoint, str(base / "b"), unet=True, text_encoder=False, seed=12)
    return [(first, 0.7), (second, 1.3)]


def torch_outputs(checkpoint, loras, feed, input_ids):
    """UNet and text encoder outputs of diffusers' pipeline with the LoRAs as adapters (none: the base model)."""
    import torch
    from diffusers import StableDiffusionPipeline
    pipe = StableDiffusionPipeline.from_pretrained(checkpoint, safety_checker=None, requires_safety_checker=False)
    names = [f"l{i}" for i in range(len(loras))]
    for name, (path, _) in zip(names, loras):
        pipe.load_lora_weights(os.path.dirname(path), weight_name=os.path.basename(path), adapter_name=name)
    if loras:
        pipe.set_adapters(names, adapter_weights=[w for _, w in loras])
    for name, (path, _) in zip(names, loras):  # every layer of the file took the adapter (none dropped on loading)
        from safetensors import safe_open
        with safe_open(path, "np") as f:
            in_file = sum(key.endswith("lora_A.weight") for key in f.keys())
        wrapped = sum(name in getattr(m, "lora_A", {}) for model in (pipe.unet, pipe.text_encoder) for m in model.modules())
        assert wrapped == in_file > 0, (path, wrapped, in_file)
    with torch.no_grad():
        t = {k: torch.from_numpy(v) for k, v in feed.items()}
        unet = pipe.unet(t["sample"], t["timestep"], t["encoder_hidden_states"]).sample.numpy()
        text = pipe.text_encoder(torch.from_numpy(input_ids))[0].numpy()
    return unet, text


def test_loras_are_fused_before_the_export(tiny_checkpoint, loras, tmp_path):
    import onnxruntime as ort
    out = str(tmp_path / "lora")
    specs = [f"{path}:{weight}" for path, weight in loras]
    report = prepare(tiny_checkpoint, out, "--target", "portable", "--parts", "text_encoder,unet", "--in-process",
                     "--lora", specs[0], "--lora", specs[1])
    assert [entry["weight"] for entry in report["loras"]] == [0.7, 1.3]
    rng = np.random.default_rng(0)
    feed = {"sample": rng.standard_normal((2, 4, 16, 16), dtype=np.float32), "timestep": np.array([801.0, 41.0], dtype=np.float32),
            "encoder_hidden_states": rng.standard_normal((2, 77, 32), dtype=np.float32)}
    input_ids = rng.integers(0, 49406, (1, 77)).astype(np.int32)
    unet = ort.InferenceSession(os.path.join(out, "unet", "model.onnx"), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    text = ort.InferenceSession(os.path.join(out, "text_encoder", "model.onnx"),
                                providers=["CPUExecutionProvider"]).run(None, {"input_ids": input_ids})[0]
    expected_unet, expected_text = torch_outputs(tiny_checkpoint, loras, feed, input_ids.astype(np.int64))
    base_unet, base_text = torch_outputs(tiny_checkpoint, [], feed, input_ids.astype(np.int64))
    errors = rel_l2(unet, expected_unet), rel_l2(text, expected_text)
    effects = rel_l2(base_unet, expected_unet), rel_l2(base_text, expected_text)
    print(f"rel L2 vs diffusers with adapters: unet {errors[0]:.2e}, text encoder {errors[1]:.2e}; "
          f"LoRA effect: unet {effects[0]:.2e}, text encoder {effects[1]:.2e}")
    assert max(errors) < 1e-5
    assert min(effects) > 1e-3  # the LoRAs change both outputs (a dropped LoRA fails the line above)


def test_lora_spec():
    from sdprep.lora import parse_lora
    assert parse_lora("/x/a.safetensors:0.5") == ("/x/a.safetensors", 0.5)
    assert parse_lora("/x/a.safetensors") == ("/x/a.safetensors", 1.0)
    assert parse_lora("/x/c:d.safetensors") == ("/x/c:d.safetensors", 1.0)
    with pytest.raises(ValueError):
        parse_lora("/x/a.safetensors:nan")
