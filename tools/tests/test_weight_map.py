"""weight_map.json: where prepare_model.py's fusions put each layer's weight. For the webgpu target (fp32 and
fp16), every layer the fused graph's node names no longer show is placed, and each placed block holds exactly
the torch module's weight (transposed for MatMul's in_out layout; cast to fp16 in the fp16 folder). Unfused
folders (portable) get no map. The engine's side: src/core/onnx/weight-map.ts, src/engine/lora/lora-fused.parity.test.ts."""
import json
import os

import numpy as np
import pytest

from conftest import needs, prepare

needs("torch", "diffusers", "onnx", "onnxruntime")


def torch_weights(checkpoint):
    """{module path as the engine spells it: torch weight (out, in[, kh, kw])} of the UNet."""
    from diffusers import UNet2DConditionModel
    unet = UNet2DConditionModel.from_pretrained(checkpoint, subfolder="unet")
    return {name[: -len(".weight")]: p.detach().numpy() for name, p in unet.named_parameters() if name.endswith(".weight")}


def block(folder, entry):
    import onnx
    from onnx import numpy_helper
    model = onnx.load_model(os.path.join(folder, "unet", "model.onnx"), load_external_data=False)
    tensor = next(t for t in model.graph.initializer if t.name == entry["initializer"])
    value = numpy_helper.to_array(tensor, base_dir=os.path.join(folder, "unet"))
    if "slice" in entry:
        s = entry["slice"]
        value = value[:, s["start"]:s["start"] + s["size"]] if s["axis"] == 1 else value[s["start"]:s["start"] + s["size"], :]
    return value if entry["layout"] == "out_in" else value.T


@pytest.mark.parametrize("precision", ["--fp32", None])
def test_webgpu_folders_map_every_packed_layer_to_its_weight(tiny_checkpoint, tmp_path, precision):
    out = str(tmp_path / "web")
    report = prepare(tiny_checkpoint, out, "--parts", "unet", "--in-process", *([precision] if precision else []))
    assert report["parts"]["unet"]["ops"].get("com.microsoft.Attention", 0) > 0  # the self-attentions were packed
    with open(os.path.join(out, "unet", "weight_map.json")) as f:
        weight_map = json.load(f)
    assert weight_map["format"] == "sd-web weight map" and weight_map["version"] == 1
    assert weight_map["unmapped"] == []
    assert report["parts"]["unet"]["weight_map"] == {"modules": len(weight_map["modules"]), "unmapped": []}
    attn1 = [m for m in weight_map["modules"] if ".attn1.to_" in m]
    assert len(attn1) == 18 and all("slice" in weight_map["modules"][m] for m in attn1)  # 6 self-attentions x q, k, v
    weights = torch_weights(tiny_checkpoint)
    for module, entry in weight_map["modules"].items():
        expected = weights[module]
        got = block(out, entry)
        assert got.shape == expected.shape, module
        if got.dtype == np.float16:
            np.testing.assert_array_equal(got, expected.astype(np.float16), err_msg=module)
        else:
            np.testing.assert_array_equal(got, expected, err_msg=module)


def test_unfused_folders_get_no_map(tiny_checkpoint, tmp_path):
    out = str(tmp_path / "portable")
    report = prepare(tiny_checkpoint, out, "--parts", "unet", "--target", "portable", "--in-process")
    assert not os.path.exists(os.path.join(out, "unet", "weight_map.json"))
    assert report["parts"]["unet"]["weight_map"] is None


def test_equal_weights_get_a_block_each():
    """Two layers with the same values (a model whose k and v start equal) each get their own block, in order."""
    from sdprep.weight_map import find_block

    class Loader:
        def __init__(self, value):
            self.value, self.shape = value, value.shape

        def __call__(self):
            return self.value

    q = np.arange(12, dtype=np.float32).reshape(3, 4)
    kv = np.ones((3, 4), dtype=np.float32)
    candidates = {"packed": Loader(np.concatenate([q, kv, kv], axis=1))}
    taken = set()
    places = []
    for weight in (q, kv, kv):
        name, transposed, axis, start, size = find_block(weight, candidates, taken)
        taken.add((name, axis, start))
        places.append((transposed, axis, start, size))
    assert places == [(False, 1, 0, 4), (False, 1, 4, 4), (False, 1, 8, 4)]
    assert find_block(np.full((3, 4), 7, dtype=np.float32), candidates, taken) is None
