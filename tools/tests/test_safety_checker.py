"""The checkpoint's safety_checker/ (StableDiffusionSafetyChecker) exported as diffusers' ONNX exporter does
(forward_onnx: clip_input, images -> out_images, has_nsfw_concepts), on a tiny random checker from
tools/make_tiny_safety_checker.py whose thresholds flag some of the tiny checkpoint's pictures and not others:
the exported decisions equal torch's (forward and forward_onnx), flagged images come back black; portable and
webgpu (fp16, decision in fp32). A checkpoint without a checker gives a folder without one."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import TOOLS, needs, prepare

needs("torch", "diffusers", "transformers", "onnx", "onnxruntime")


@pytest.fixture(scope="module")
def safety_checkpoint(tiny_checkpoint, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("safety") / "checkpoint")
    subprocess.run([sys.executable, os.path.join(TOOLS, "make_tiny_safety_checker.py"), tiny_checkpoint, out],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def cases(safety_checkpoint):
    """clip_input of the checkpoint's own pictures (CLIPImageProcessor, as the pipeline runs it), two prompts
    and three seeds, plus the pictures as images [B, H, W, 3] in [0, 1]."""
    from make_tiny_safety_checker import pipeline_pictures
    from transformers import CLIPImageProcessor
    pictures, _ = pipeline_pictures(safety_checkpoint, ["a dog on a beach", "an old map"], [0, 1, 2, 5], 4)
    processor = CLIPImageProcessor.from_pretrained(safety_checkpoint, subfolder="feature_extractor")
    clip_input = processor(pictures, return_tensors="np").pixel_values.astype(np.float32)
    images = np.stack([np.asarray(p, dtype=np.float32) / 255 for p in pictures])
    return clip_input, images


def torch_decisions(checkpoint, clip_input, images):
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    checker = StableDiffusionSafetyChecker.from_pretrained(checkpoint, subfolder="safety_checker").eval()
    _, forward = checker(torch.from_numpy(clip_input), images.copy())
    _, onnx_way = checker.forward_onnx(torch.from_numpy(clip_input), torch.from_numpy(images.copy()))
    return list(forward), onnx_way.tolist()


@pytest.mark.parametrize("target", ["portable", "webgpu"])
def test_exported_decisions_equal_torch(safety_checkpoint, cases, tmp_path, target):
    import onnxruntime as ort
    out = str(tmp_path / target)
    report = prepare(safety_checkpoint, out, "--target", target, "--parts", "safety_checker", "--in-process")
    clip_input, images = cases
    session = ort.InferenceSession(os.path.join(out, "safety_checker", "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["clip_input", "images"]
    assert [o.name for o in session.get_outputs()] == ["out_images", "has_nsfw_concepts"]
    dtype = np.float16 if session.get_inputs()[0].type == "tensor(float16)" else np.float32
    assert dtype == (np.float16 if target == "webgpu" else np.float32)
    out_images, flagged = session.run(None, {"clip_input": clip_input.astype(dtype), "images": images.astype(dtype)})
    forward, onnx_way = torch_decisions(safety_checkpoint, clip_input, images)
    print(f"{target}: flagged {flagged.tolist()}")
    assert flagged.tolist() == forward == onnx_way
    assert any(forward) and not all(forward)  # both decisions occur
    for i, bad in enumerate(flagged):  # diffusers' black image for a flagged picture, the picture otherwise
        np.testing.assert_allclose(out_images[i].astype(np.float32), 0 if bad else images[i].astype(dtype).astype(np.float32))
    one, _ = session.run(None, {"clip_input": clip_input[:1].astype(dtype), "images": images[:1, :32, :48].astype(dtype)})
    assert one.shape == (1, 32, 48, 3)  # dynamic batch and image size
    with open(os.path.join(out, "feature_extractor", "preprocessor_config.json")) as f:
        assert json.load(f)["crop_size"] == {"height": 224, "width": 224}
    with open(os.path.join(out, "model_index.json")) as f:
        index = json.load(f)
    assert index["safety_checker"] == ["diffusers", "OnnxRuntimeModel"] and index["requires_safety_checker"] is True
    assert report["parts"]["safety_checker"]["peak_rss_mb"] > 0


def test_a_checkpoint_without_a_checker_gives_a_folder_without_one(tiny_checkpoint, tmp_path):
    from sdprep.folder import copy_configs, optional_parts
    assert optional_parts(tiny_checkpoint, None) == []
    copy_configs(tiny_checkpoint, str(tmp_path), ["text_encoder", "unet", "vae_decoder", "vae_encoder"])
    with open(tmp_path / "model_index.json") as f:
        index = json.load(f)
    assert index["safety_checker"] == [None, None] and index["requires_safety_checker"] is False
    assert not (tmp_path / "safety_checker").exists() and not (tmp_path / "feature_extractor").exists()
