"""An LCM-distilled UNet (config time_cond_proj_dim, as SimianLuo/LCM_Dreamshaper_v7) keeps its guidance
embedding: the export has the float32 input timestep_cond [batch, time_cond_proj_dim] and computes what
torch's UNet computes with timestep_cond; the folder names the checkpoint's scheduler (LCMScheduler)."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import needs, prepare, rel_l2, tiny_config

needs("torch", "diffusers", "onnx", "onnxruntime")

COND_DIM = 32


@pytest.fixture(scope="module")
def lcm_checkpoint(tiny_checkpoint, tmp_path_factory):
    """The tiny checkpoint with a random UNet that has time_cond_proj_dim, and an LCMScheduler."""
    import torch
    from diffusers import LCMScheduler, UNet2DConditionModel
    out = str(tmp_path_factory.mktemp("lcm") / "checkpoint")
    shutil.copytree(tiny_checkpoint, out)
    torch.manual_seed(7)
    unet = UNet2DConditionModel(**tiny_config()["unet"], time_cond_proj_dim=COND_DIM).eval()
    with torch.no_grad():  # cond_proj starts random too; make every weight count
        for p in unet.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    shutil.rmtree(os.path.join(out, "unet"))
    unet.save_pretrained(os.path.join(out, "unet"))
    shutil.rmtree(os.path.join(out, "scheduler"))
    LCMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear").save_pretrained(os.path.join(out, "scheduler"))
    return out


def inputs(batch=2, side=16, seed=0):
    from diffusers import LatentConsistencyModelPipeline
    rng = np.random.default_rng(seed)
    import torch
    w = torch.tensor([7.5, 1.5][:batch]) - 1  # LatentConsistencyModelPipeline: get_guidance_scale_embedding(guidance - 1)
    cond = LatentConsistencyModelPipeline.get_guidance_scale_embedding(None, w, embedding_dim=COND_DIM).numpy()
    return {"sample": rng.standard_normal((batch, 4, side, side), dtype=np.float32),
            "timestep": np.array([759.0, 499.0][:batch], dtype=np.float32),
            "encoder_hidden_states": rng.standard_normal((batch, 77, 32), dtype=np.float32),
            "timestep_cond": cond.astype(np.float32)}


def torch_unet(checkpoint, feed):
    import torch
    from diffusers import UNet2DConditionModel
    unet = UNet2DConditionModel.from_pretrained(checkpoint, subfolder="unet").eval()
    with torch.no_grad():
        t = {k: torch.from_numpy(v) for k, v in feed.items()}
        with_cond = unet(t["sample"], t["timestep"], t["encoder_hidden_states"], timestep_cond=t["timestep_cond"]).sample.numpy()
        without = unet(t["sample"], t["timestep"], t["encoder_hidden_states"]).sample.numpy()
    return with_cond, without


def test_portable_export_has_timestep_cond_and_matches_torch(lcm_checkpoint, tmp_path):
    import onnxruntime as ort
    out = str(tmp_path / "portable")
    prepare(lcm_checkpoint, out, "--target", "portable", "--parts", "unet", "--in-process")
    session = ort.InferenceSession(os.path.join(out, "unet", "model.onnx"), providers=["CPUExecutionProvider"])
    declared = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    assert declared["timestep_cond"] == ("tensor(float)", ["batch", COND_DIM])
    feed = inputs()
    got = session.run(None, feed)[0]
    expected, without = torch_unet(lcm_checkpoint, feed)
    print(f"fp32 rel L2 {rel_l2(got, expected):.2e}, without timestep_cond {rel_l2(without, expected):.2e}")
    assert rel_l2(got, expected) < 1e-5  # fp32 export against fp32 torch (measured 7.3e-7)
    assert rel_l2(without, expected) > 1e-2  # the input matters: dropping it would fail the line above
    with open(os.path.join(out, "model_index.json")) as f:
        assert json.load(f)["scheduler"] == ["diffusers", "LCMScheduler"]
    with open(os.path.join(out, "scheduler", "scheduler_config.json")) as f:
        assert json.load(f)["_class_name"] == "LCMScheduler"


def test_webgpu_fp16_keeps_timestep_cond_float32(lcm_checkpoint, tmp_path):
    import onnx
    out = str(tmp_path / "webgpu")
    report = prepare(lcm_checkpoint, out, "--parts", "unet", "--in-process")
    graph = onnx.load(os.path.join(out, "unet", "model.onnx"), load_external_data=False).graph
    types = {i.name: i.type.tensor_type.elem_type for i in graph.input}
    assert types["timestep_cond"] == onnx.TensorProto.FLOAT and types["timestep"] == onnx.TensorProto.FLOAT
    assert types["sample"] == onnx.TensorProto.FLOAT16
    assert report["parts"]["unet"]["ops"].get("com.microsoft.Attention", 0) > 0
    import onnxruntime as ort  # the fused fp16 graph runs on onnxruntime's CPU EP too
    session = ort.InferenceSession(os.path.join(out, "unet", "model.onnx"), providers=["CPUExecutionProvider"])
    feed = inputs(seed=1)
    half = {k: (v if k in ("timestep", "timestep_cond") else v.astype(np.float16)) for k, v in feed.items()}
    got = session.run(None, half)[0].astype(np.float32)
    expected, without = torch_unet(lcm_checkpoint, feed)
    print(f"fp16 rel L2 {rel_l2(got, expected):.2e}, without timestep_cond {rel_l2(without, expected):.2e}")
    assert rel_l2(got, expected) < 5e-3  # fp16 against fp32 torch (measured 2.5e-3)
    assert rel_l2(without, expected) > 5e-2
