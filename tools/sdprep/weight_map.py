"""The weight map: where each layer's weight went when the optimiser fused the graph, so that the engine can
merge LoRAs into a fused folder (src/engine/lora/lora-parts.ts, issue 21).

A torch export names each node after its module (`/down_blocks.0/attentions.0/transformer_blocks.0/attn1/
to_q/MatMul`), and the engine finds a layer's weight from that name (src/core/onnx/module-weights.ts, read
the same way here). The fusions rewrite some layers into operators without such names: onnxruntime's
Attention packs a self-attention's q, k and v weights (in, out) side by side in one (in, 3 * out)
initializer. For every layer whose weight the fused graph's names no longer show, this finds the weight by
its values among the fused graph's initializers, whole or as a block of rows or columns (fp16 folders: the
export's weight cast to fp16), and writes `PART/weight_map.json`:

    {"format": "sd-web weight map", "version": 1,
     "modules": {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q":
                 {"initializer": "...", "layout": "in_out", "slice": {"axis": 1, "start": 0, "size": 320}}},
     "unmapped": []}

Module paths are spelled as the engine spells them (from the first segment that is a root of diffusers'
UNet or transformers' CLIP text model, so without `text_model.`). `layout`: how the initializer, or its
slice, holds the torch weight (out, in[, kh, kw]): `out_in` as it is, `in_out` transposed. `slice`: the
block of the initializer along `axis` that is this layer's weight (absent: all of it). `unmapped`: layers
whose weight was not found (a LoRA on them is refused by the engine)."""
import json
import os

MAP_FILE = "weight_map.json"
FORMAT = "sd-web weight map"
# First segments of the module paths (module-weights.ts ROOTS).
ROOTS = {"conv_in", "conv_out", "time_embedding", "down_blocks", "mid_block", "up_blocks", "encoder", "embeddings", "final_layer_norm"}
WEIGHT_OPS = ("MatMul", "Gemm", "Conv")


def module_path(node_name):
    """`/m/down_blocks.0/resnets.0/conv1/Conv` -> 'down_blocks.0.resnets.0.conv1'; None outside the roots."""
    segments = [s for s in node_name.split("/") if s]
    segments = segments[:-1]
    for i, segment in enumerate(segments):
        if segment.split(".")[0] in ROOTS:
            return ".".join(segments[i:])
    return None


def module_weights(graph):
    """{module path: (initializer name, layout)} as module-weights.ts reads them (behind Cast or Transpose);
    a module path named by two different weights is left out (ambiguous)."""
    initializers = {t.name for t in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}
    modules, ambiguous = {}, set()
    for node in graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in WEIGHT_OPS or len(node.input) < 2:
            continue
        module = module_path(node.name)
        if module is None:
            continue
        name, transposed = node.input[1], False
        for _ in range(4):
            if name in initializers:
                break
            producer = producers.get(name)
            if producer is not None and producer.op_type == "Cast":
                name = producer.input[0]
            elif producer is not None and producer.op_type == "Transpose" and list(_ints(producer, "perm") or [1, 0]) == [1, 0]:
                name, transposed = producer.input[0], not transposed
            else:
                break
        if name not in initializers:
            continue
        trans_b = _ints(node, "transB")
        layout = "in_out" if node.op_type == "MatMul" or (node.op_type == "Gemm" and not (trans_b and trans_b[0])) else "out_in"
        if transposed:
            layout = "out_in" if layout == "in_out" else "in_out"
        if module in modules and modules[module][0] != name:
            ambiguous.add(module)
        modules[module] = (name, layout)
    return {m: v for m, v in modules.items() if m not in ambiguous}


def _ints(node, name):
    for attribute in node.attribute:
        if attribute.name == name:
            return list(attribute.ints) or [attribute.i]
    return None


def _array(tensor, base_dir):
    from onnx import numpy_helper
    return numpy_helper.to_array(tensor, base_dir=base_dir)


def find_block(weight, candidates, taken=frozenset()):
    """Where `weight` (2-D, the export's values) lies among `candidates` ({name: loader}): (name, transposed,
    axis, start, size) for the first initializer holding it whole or as a block of rows (axis 0) or columns
    (axis 1), compared after a cast to the candidate's type, that is not in `taken` ((name, axis, start) of the
    blocks already placed: two layers with equal weights get a block each); None when none does."""
    import numpy as np
    tolerance = 1e-3 * float(np.abs(weight).max()) + 1e-6
    for name, load in candidates.items():
        shape = load.shape
        if len(shape) != 2:
            continue
        for transposed in (False, True):
            w = weight.T if transposed else weight
            for axis in (1, 0):
                other = 1 - axis
                if shape[other] != w.shape[other] or shape[axis] % w.shape[axis]:
                    continue
                size = w.shape[axis]
                value = load()
                cast = w.astype(value.dtype).astype(np.float32)
                for start in range(0, shape[axis], size):
                    block = value[:, start:start + size] if axis == 1 else value[start:start + size, :]
                    if (name, axis, start) not in taken and float(np.abs(block.astype(np.float32) - cast).max()) <= tolerance:
                        return name, transposed, axis, start, size
    return None


class _Loader:
    """An initializer's array, read from its file once, on first use."""

    def __init__(self, tensor, base_dir):
        self.tensor, self.base_dir, self.value = tensor, base_dir, None
        self.shape = tuple(tensor.dims)

    def __call__(self):
        if self.value is None:
            self.value = _array(self.tensor, self.base_dir)
        return self.value


def build_weight_map(export_graph, export_dir, final_graph, final_dir):
    """The map (a dict) for the layers of `export_graph` (the plain torch export) whose weights `final_graph`'s
    node names no longer show; None when it shows them all (the engine needs no map)."""
    before = module_weights(export_graph)
    after = module_weights(final_graph)
    moved = [m for m in before if m not in after]
    if not moved:
        return None
    export_tensors = {t.name: t for t in export_graph.initializer}
    # Fused weights are new initializers (the unfused ones keep their names); 2-D only (the packed projections).
    candidates = {t.name: _Loader(t, final_dir) for t in final_graph.initializer if t.name not in export_tensors and len(t.dims) == 2}
    modules, unmapped, taken = {}, [], set()
    for module in moved:
        name, layout = before[module]
        tensor = export_tensors[name]
        if len(tensor.dims) != 2:
            unmapped.append(module)
            continue
        found = find_block(_array(tensor, export_dir), candidates, taken)
        if found is None:
            unmapped.append(module)
            continue
        target, transposed, axis, start, size = found
        taken.add((target, axis, start))
        entry = {"initializer": target, "layout": ("out_in" if layout == "in_out" else "in_out") if transposed else layout}
        if size != candidates[target].shape[axis]:
            entry["slice"] = {"axis": axis, "start": start, "size": size}
        modules[module] = entry
    return {"format": FORMAT, "version": 1, "modules": modules, "unmapped": unmapped}


def write_weight_map(export_path, out_model_path):
    """Writes weight_map.json beside `out_model_path` when the fusions moved weights; returns a summary for the report
    ({"modules": n, "unmapped": [...]}) or None."""
    from sdprep.graph import load_graph
    weight_map = build_weight_map(load_graph(export_path).graph, os.path.dirname(os.path.abspath(export_path)),
                                  load_graph(out_model_path).graph, os.path.dirname(os.path.abspath(out_model_path)))
    path = os.path.join(os.path.dirname(out_model_path), MAP_FILE)
    if weight_map is None:
        if os.path.exists(path):
            os.remove(path)
        return None
    with open(path, "w") as f:
        json.dump(weight_map, f, indent=1)
    return {"modules": len(weight_map["modules"]), "unmapped": weight_map["unmapped"]}
