#!/usr/bin/env python3
"""Carry a prepared model's graphs to the GPU machine without its weights, and refill them there.

A prepared SD v1.4 folder (tools/prepare_model.py) is about 2.1 GB; what travels to the GPU machine is
limited to 64 MiB. GPU kernel time does not depend on weight values (no data-dependent control flow in
Conv, MatMul, attention or normalisation kernels), so for SPEED the graphs can run with other weights
of the same dtypes and shapes. Parity is measured elsewhere, on exports whose weights PyTorch shares.

  stub_weights.py strip SRC DST   copy SRC's model folder to DST with every float initializer larger than
                                  4 KiB moved to an external file `stub-weights.bin` that is NOT written;
                                  `stub.json` per part lists its size and each tensor's (offset, length, dtype)
  stub_weights.py fill DST [PART...]  write each part's stub-weights.bin: normal(0, 0.02) values in each
                                  tensor's dtype (fp16 or fp32), seeded, so no NaN or Inf comes from them

Only numpy and onnx are needed (both are on the GPU machine with torch).
"""
import json
import os
import shutil
import sys

import numpy as np

PARTS = ("text_encoder", "unet", "vae_decoder", "vae_encoder")
STUB = "stub-weights.bin"
FLOAT_TYPES = {1: "float32", 10: "float16"}  # onnx.TensorProto.FLOAT, FLOAT16
MIN_BYTES = 4096
ALIGN = 4096


def tensor_bytes(t, src_dir):
    """The initializer's size in bytes, inline or external."""
    if t.data_location == 1:  # EXTERNAL
        info = {e.key: e.value for e in t.external_data}
        if "length" in info:
            return int(info["length"])
        return os.path.getsize(os.path.join(src_dir, info["location"])) - int(info.get("offset", 0))
    if t.raw_data:
        return len(t.raw_data)
    return int(np.prod(t.dims)) * np.dtype(FLOAT_TYPES.get(t.data_type, "float32")).itemsize


def strip(src, dst):
    import onnx

    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        path = os.path.join(src, name)
        if name not in PARTS:
            (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(dst, name))
    for part in PARTS:
        part_src = os.path.join(src, part)
        if not os.path.isfile(os.path.join(part_src, "model.onnx")):
            continue
        model = onnx.load(os.path.join(part_src, "model.onnx"), load_external_data=False)
        offset, tensors = 0, []
        for t in model.graph.initializer:
            if t.data_type not in FLOAT_TYPES:
                continue
            n = tensor_bytes(t, part_src)
            if n < MIN_BYTES:
                if t.data_location == 1:  # small external tensor (prepare_model.py streams every one): inline it
                    info = {e.key: e.value for e in t.external_data}
                    with open(os.path.join(part_src, info["location"]), "rb") as f:
                        f.seek(int(info.get("offset", 0)))
                        t.raw_data = f.read(n)
                    del t.external_data[:]
                    t.data_location = 0
                continue
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.ClearField("int32_data")
            del t.external_data[:]
            t.data_location = 1
            for k, v in (("location", STUB), ("offset", str(offset)), ("length", str(n))):
                e = t.external_data.add()
                e.key, e.value = k, v
            tensors.append([offset, n, FLOAT_TYPES[t.data_type]])
            offset += (n + ALIGN - 1) // ALIGN * ALIGN
        os.makedirs(os.path.join(dst, part), exist_ok=True)
        with open(os.path.join(dst, part, "model.onnx"), "wb") as f:
            f.write(model.SerializeToString())
        with open(os.path.join(dst, part, "stub.json"), "w") as f:
            json.dump({"file": STUB, "size": offset, "tensors": tensors}, f)
        print(f"{part}: graph {os.path.getsize(os.path.join(dst, part, 'model.onnx')) / 2**20:.1f} MiB, "
              f"{len(tensors)} stubbed tensors, {offset / 2**20:.1f} MiB to refill")


def fill(dst, parts=PARTS):
    rng = np.random.default_rng(0)
    pool = (rng.standard_normal(1 << 24, dtype=np.float32) * 0.02)
    pools = {"float32": pool, "float16": pool.astype(np.float16)}
    for part in parts:
        spec_path = os.path.join(dst, part, "stub.json")
        if not os.path.isfile(spec_path):
            continue
        with open(spec_path) as f:
            spec = json.load(f)
        with open(os.path.join(dst, part, spec["file"]), "wb") as out:
            out.truncate(spec["size"])
            for i, (offset, length, dtype) in enumerate(spec["tensors"]):
                src = pools[dtype]
                count = length // src.itemsize
                start = (i * 7919) % (src.size - 1)  # a different window per tensor
                chunks, done = [], 0
                while done < count:
                    take = min(count - done, src.size - start)
                    chunks.append(src[start:start + take])
                    done += take
                    start = 0
                out.seek(offset)
                out.write(np.concatenate(chunks).tobytes())
        print(f"{part}: wrote {spec['size'] / 2**20:.1f} MiB of stand-in weights")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "strip":
        strip(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "fill":
        fill(sys.argv[2], sys.argv[3:] or PARTS)
    else:
        raise SystemExit(__doc__)
