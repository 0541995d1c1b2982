"""The torch AutoencoderKL of an ONNX model folder, rebuilt from vae_encoder/ and vae_decoder/'s weights.

torch.onnx.export copies the checkpoint's weights into the graph (Conv weights under their state_dict
names, "v." prefixed; Linear weights transposed into MatMul initializers named by the node's module path;
GroupNorm's gamma / beta as the Mul / Add constants after InstanceNormalization), so the checkpoint can be
rebuilt exactly from the folder: the shapes-sd references made with the torch checkpoint are reproduced by
this VAE within the run-to-run noise of torch itself (tools/check_group_norm.py). Used by
make_img2img_refs.py and check_group_norm.py.
"""
import json
import numpy as np, onnx, torch
from onnx import numpy_helper
from diffusers import AutoencoderKL


def _weights(path, prefix="v."):
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    named = {k[len(prefix):]: v for k, v in inits.items() if k.startswith(prefix)}
    for node in m.graph.node:
        module = node.name.rsplit("/", 1)[0].strip("/").replace("/", ".")
        for name in node.input:
            if not name.startswith("onnx::") or name not in inits:
                continue
            if node.op_type == "MatMul":
                named[module + ".weight"] = inits[name].T
            elif node.op_type == "Mul":
                named[module + ".weight"] = inits[name].reshape(-1)   # GroupNorm gamma (C, 1, 1)
            elif node.op_type == "Add":
                named[module + ".bias"] = inits[name].reshape(-1)     # GroupNorm beta
    return named


def load_vae(folder):
    """AutoencoderKL with vae_encoder/config.json's architecture and the ONNX graphs' weights (float32, eval)."""
    cfg = {k: v for k, v in json.load(open(f"{folder}/vae_encoder/config.json")).items() if not k.startswith("_")}
    vae = AutoencoderKL(**cfg).eval()
    state = vae.state_dict()
    found = {**_weights(f"{folder}/vae_encoder/model.onnx"), **_weights(f"{folder}/vae_decoder/model.onnx")}
    missing = [k for k in state if k not in found]
    if missing:
        raise SystemExit(f"{folder}: no ONNX weight for {missing[:5]} ...")
    vae.load_state_dict({k: torch.from_numpy(np.array(found[k], np.float32)).reshape(v.shape) for k, v in state.items()})
    return vae
