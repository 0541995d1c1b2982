"""The streaming save: PART/model.onnx with the weights copied tensor by tensor into weights.pb,
weights-2.pb, ... of at most --max-file-bytes each (tools/README.md, "External data, split")."""
import os
import shutil

from sdprep.fp16 import fp16_bytes


def plan_shards(sizes, max_bytes, align=64):
    """Where each tensor goes: [(file index, offset)] for tensors of `sizes` bytes, in order, each at an
    offset that is a multiple of `align`, a new file whenever the next tensor would pass `max_bytes`
    (a tensor larger than max_bytes gets a file of its own)."""
    placed, file, end = [], 0, 0
    for size in sizes:
        offset = -(-end // align) * align
        if end > 0 and offset + size > max_bytes:
            file, offset = file + 1, 0
        placed.append((file, offset))
        end = offset + size
    return placed


def shard_name(index):
    """weights.pb, weights-2.pb, weights-3.pb, ...: the first keeps the name older loaders know."""
    return "weights.pb" if index == 0 else f"weights-{index + 1}.pb"


def _external_info(tensor):
    info = {e.key: e.value for e in tensor.external_data}
    return info["location"], int(info.get("offset", 0)), (int(info["length"]) if "length" in info else None)


def tensor_bytes(tensor, source_dir):
    """The bytes of a tensor in its (possibly converted) element type, read from wherever they are: inline
    raw_data, typed fields, or the export's external file (read for this tensor only). An fp32 tensor that
    the fp16 conversion retyped without touching its data (it was external) is converted here."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    if tensor.HasField("raw_data"):
        data = tensor.raw_data
    elif tensor.data_location == onnx.TensorProto.EXTERNAL:
        location, offset, length = _external_info(tensor)
        with open(os.path.join(source_dir, location), "rb") as f:
            f.seek(offset)
            data = f.read(length) if length is not None else f.read()
    else:
        return numpy_helper.to_array(tensor).tobytes()
    count = int(np.prod(tensor.dims)) if len(tensor.dims) else 1
    if tensor.data_type == onnx.TensorProto.FLOAT16 and len(data) == 4 * count:
        data = fp16_bytes(data)
    return data


def all_tensors(graph):
    """Initializers and tensor attributes (Constant values), subgraphs included."""
    for tensor in graph.initializer:
        yield tensor
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from all_tensors(attribute.g)
            for g in attribute.graphs:
                yield from all_tensors(g)


def save(model_proto, out_dir, part, external, source_dir, max_file_bytes, threshold=1024):
    """Writes PART/model.onnx; with `external`, every tensor of `threshold` bytes or more goes, one at a time,
    into weights.pb, weights-2.pb, ... of at most max_file_bytes each (one browser buffer holds ~2 GB; ORT
    takes several files). Tensors still in the export's external files are read from source_dir, so the
    whole model is never in memory. Returns {file: bytes}."""
    import onnx
    directory = os.path.join(out_dir, part)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    tensors = list(all_tensors(model_proto.graph))
    # Sizes first (from dims and type, without reading data) so that the files can be planned.
    def size_of(t):
        if t.HasField("raw_data"):
            return len(t.raw_data)
        if t.data_location == onnx.TensorProto.EXTERNAL:
            n = 1
            for d in t.dims:
                n *= d
            return n * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        return 0  # typed fields: small constants, kept inline
    big = [t for t in tensors if external and size_of(t) >= threshold]
    placed = plan_shards([size_of(t) for t in big], max_file_bytes)
    handles = {}
    try:
        for tensor in tensors:
            if tensor.data_location == onnx.TensorProto.EXTERNAL and not any(tensor is t for t in big):
                data = tensor_bytes(tensor, source_dir)  # small: back inline
                del tensor.external_data[:]
                tensor.data_location = onnx.TensorProto.DEFAULT
                tensor.raw_data = data
        for tensor, (index, offset) in zip(big, placed):
            data = tensor_bytes(tensor, source_dir)
            name = shard_name(index)
            f = handles.get(name) or handles.setdefault(name, open(os.path.join(directory, name), "wb"))
            f.seek(offset)
            f.write(data)
            tensor.ClearField("raw_data")
            del tensor.external_data[:]
            for key, value in (("location", name), ("offset", str(offset)), ("length", str(len(data)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            tensor.data_location = onnx.TensorProto.EXTERNAL
    finally:
        for f in handles.values():
            f.close()
    onnx.save_model(model_proto, os.path.join(directory, "model.onnx"))
    return {f: os.path.getsize(os.path.join(directory, f)) for f in sorted(os.listdir(directory))}
