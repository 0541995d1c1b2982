"""--taesd DIR: a diffusers AutoencoderTiny (random, its default architecture, as madebyollin/taesd) exported as
taesd_decoder/ (AutoencoderTiny.decode(...).sample: the tanh(x/3)*3 clamp and the [-1, 1] output included) and
taesd_encoder/ (AutoencoderTiny.encode(...).latents from a [-1, 1] picture), checked with onnxruntime against torch."""
import json
import os

import numpy as np
import pytest

from conftest import needs, prepare

needs("torch", "diffusers", "onnx", "onnxruntime")


@pytest.fixture(scope="module")
def taesd(tmp_path_factory):
    import torch
    from diffusers import AutoencoderTiny
    torch.manual_seed(3)
    model = AutoencoderTiny().eval()
    out = str(tmp_path_factory.mktemp("taesd") / "taesd")
    model.save_pretrained(out)
    return out, model


def run(folder, part, feed):
    import onnxruntime as ort
    session = ort.InferenceSession(os.path.join(folder, part, "model.onnx"), providers=["CPUExecutionProvider"])
    kind = session.get_inputs()[0].type
    feed = {k: v.astype(np.float16 if kind == "tensor(float16)" else np.float32) for k, v in feed.items()}
    return session.run(None, feed)[0].astype(np.float32), session


def torch_outputs(model, latents, picture):
    import torch
    with torch.no_grad():
        decoded = model.decode(torch.from_numpy(latents)).sample.numpy()
        encoded = model.encode(torch.from_numpy(picture)).latents.numpy()
    return decoded, encoded


@pytest.mark.parametrize("target, tolerance", [("portable", 1e-5), ("webgpu", 2e-3)])
def test_taesd_parts_match_torch(tiny_checkpoint, taesd, tmp_path, target, tolerance):
    folder, model = taesd
    out = str(tmp_path / target)
    report = prepare(tiny_checkpoint, out, "--taesd", folder, "--target", target, "--parts", "taesd_decoder,taesd_encoder", "--in-process")
    rng = np.random.default_rng(0)
    latents = (rng.standard_normal((2, 4, 12, 16)) * 2).astype(np.float32)  # * 2: some values past the clamp's knee
    picture = rng.uniform(-1, 1, (1, 3, 96, 64)).astype(np.float32)
    decoded, encoded = torch_outputs(model, latents, picture)
    got_decoded, session = run(out, "taesd_decoder", {"latent_sample": latents})
    assert [i.name for i in session.get_inputs()] == ["latent_sample"] and [o.name for o in session.get_outputs()] == ["sample"]
    got_encoded, session = run(out, "taesd_encoder", {"sample": picture})
    assert [i.name for i in session.get_inputs()] == ["sample"] and [o.name for o in session.get_outputs()] == ["latent_sample"]
    assert got_decoded.shape == (2, 3, 96, 128) and got_encoded.shape == (1, 4, 12, 8)
    decode_error, encode_error = np.abs(got_decoded - decoded).max(), np.abs(got_encoded - encoded).max()
    print(f"{target}: decoder max abs {decode_error:.2e}, encoder max abs {encode_error:.2e} "
          f"(decoded range {decoded.min():.2f}..{decoded.max():.2f})")
    assert decode_error < tolerance and encode_error < tolerance
    assert decoded.std() > 1e-2 and encoded.std() > 1e-2  # not vacuous: outputs that vary
    for part in ("taesd_decoder", "taesd_encoder"):
        with open(os.path.join(out, part, "config.json")) as f:
            assert json.load(f)["_class_name"] == "AutoencoderTiny"
        assert part in report["parts"] and report["parts"][part]["peak_rss_mb"] > 0
    with open(os.path.join(out, "model_index.json")) as f:
        assert json.load(f)["taesd_decoder"] == ["diffusers", "OnnxRuntimeModel"]


def test_decoder_only_folder(tiny_checkpoint, taesd, tmp_path):
    """A folder whose weights have no encoder gives taesd_decoder alone."""
    from safetensors.torch import load_file, save_file
    import shutil
    folder = str(tmp_path / "taesd-decoder-only")
    shutil.copytree(taesd[0], folder)
    path = os.path.join(folder, "diffusion_pytorch_model.safetensors")
    save_file({k: v for k, v in load_file(path).items() if not k.startswith("encoder.")}, path)
    from sdprep.folder import optional_parts, taesd_has_encoder
    assert taesd_has_encoder(taesd[0]) and not taesd_has_encoder(folder)
    assert optional_parts(tiny_checkpoint, folder) == ["taesd_decoder"]
