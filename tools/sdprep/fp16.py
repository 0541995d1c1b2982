"""Stage 3: fp16 (onnxruntime.transformers.float16) with fp32 islands where fp16 loses what PyTorch keeps:
the UNet's sinusoidal time embedding and its float32 `timestep` input, the measured WEBGPU_FP32_OPS
(their weights stored fp16 and widened at load), and --keep-fp32-ops (tools/README.md, step 3)."""
import collections
import importlib
import logging
import sys

from sdprep.numpy_compat import with_numpy_compat

log = logging.getLogger("prepare_model")

# Measured on an H100 through onnxruntime-node 1.30.0's WebGPU EP (bench/gpu-run.sh, 2026-11-26; README,
# "Measured on a GPU"), random SD v1.4 weights, 512x512:
# - the fp16 BiasSplitGelu kernel fails at run time ("absl::container_internal::raw_hash_map<>::at");
#   fp32 BiasSplitGelu runs. So the fp16 webgpu target never fuses it (Gelu/BiasGelu still fuse).
WEBGPU_FP16_BROKEN_FUSIONS = {"bias_split_gelu"}
# - fp16 Conv loses too much: the UNet's final latents after 10 PNDM steps were 1.6e-2 (relative L2) from
#   PyTorch fp32, where PyTorch fp16 is 1.7e-3 (keeping GroupNorm in fp32 changed nothing: 1.60e-2). With the
#   UNet's Conv in fp32: 3.5e-3, at 128 instead of 119 ms per CFG step. --fp16-conv turns it off.
WEBGPU_FP32_OPS = {"unet": ["Conv"]}

# Ops through which the time-embedding walk does not go: the first linear layer and beyond run in fp16.
TIME_EMBEDDING_STOP_OPS = {"MatMul", "Gemm", "FusedMatMul", "Conv", "Attention", "MultiHeadAttention"}


def time_embedding_nodes(nodes, input_name="timestep"):
    """Nodes computing the sinusoidal time embedding: everything reachable from the timestep input
    before the first linear layer (MatMul/Gemm), which runs in fp16 as in PyTorch."""
    consumers = collections.defaultdict(list)
    for node in nodes:
        for name in node.input:
            consumers[name].append(node)
    found, seen, queue = [], set(), [input_name]
    while queue:
        for node in consumers.get(queue.pop(), []):
            if id(node) in seen or node.op_type in TIME_EMBEDDING_STOP_OPS:
                continue
            seen.add(id(node))
            found.append(node)
            queue.extend(node.output)
    return found


def name_nodes(nodes, prefix):
    """Gives unnamed nodes unique names (float16 conversion blocks nodes by name) and returns all names."""
    names = []
    for i, node in enumerate(nodes):
        if not node.name:
            node.name = f"{prefix}_{i}"
        names.append(node.name)
    return names


def _cast_to(node):
    return next((a.i for a in node.attribute if a.name == "to"), None) if node.op_type == "Cast" else None


def bypass_cast_round_trip(graph, input_name, fp32=1, fp16=10):
    """float16 conversion keeps a float32 graph input (keep_io_types) by casting it to fp16 at once, and
    casts that back to fp32 for the fp32 nodes after it: a round trip that rounds 957.37 to 957.5.
    Feeds those nodes the input itself instead; returns how many casts were bypassed."""
    nodes = list(graph.node)
    first = [n for n in nodes if _cast_to(n) == fp16 and list(n.input) == [input_name]]
    bypassed = 0
    for cast16 in first:
        for cast32 in [n for n in nodes if _cast_to(n) == fp32 and list(n.input) == [cast16.output[0]]]:
            for node in nodes:
                for i, name in enumerate(node.input):
                    if name == cast32.output[0]:
                        node.input[i] = input_name
            graph.node.remove(cast32)
            bypassed += 1
        if not any(cast16.output[0] in n.input for n in graph.node):
            graph.node.remove(cast16)
    return bypassed


def fp16_bytes(fp32_bytes):
    """float32 bytes -> float16 bytes as onnxruntime's float16 converter does (clamped to fp16's range)."""
    import numpy as np
    from onnxruntime.transformers.float16 import convert_np_to_float16
    return convert_np_to_float16(np.frombuffer(fp32_bytes, dtype=np.float32)).tobytes()


def cast_weights_to_fp16(graph, threshold=1024, names=None):
    """fp16 weights for fp32 arithmetic: each float32 initializer of `threshold` bytes or more (of `names`
    only, when given) is stored as float16 and widened back by a Cast at the top of the graph, so the
    model computes in fp32 while its files are half the size (portable --fp16-weights: the CPU EP and
    wasm lack most fp16 kernels; webgpu: the ops kept in fp32). onnxruntime folds the Casts when it loads
    the model. An external tensor is only retyped here; save() converts its data. Returns how many
    initializers were cast."""
    import numpy as np
    import onnx
    from onnx import helper
    casts = []
    for tensor in graph.initializer:
        count = 1
        for d in tensor.dims:
            count *= d
        if tensor.data_type != onnx.TensorProto.FLOAT or count * 4 < threshold or (names is not None and tensor.name not in names):
            continue
        name = tensor.name
        tensor.name = f"{name}/fp16"
        tensor.data_type = onnx.TensorProto.FLOAT16
        if tensor.HasField("raw_data"):
            tensor.raw_data = fp16_bytes(tensor.raw_data)
        elif tensor.float_data:
            tensor.raw_data = fp16_bytes(np.asarray(tensor.float_data, dtype=np.float32).tobytes())
            tensor.ClearField("float_data")
        casts.append(helper.make_node("Cast", [tensor.name], [name], name=f"{name}/widen", to=onnx.TensorProto.FLOAT))
    for cast in reversed(casts):
        graph.node.insert(0, cast)
    return len(casts)


def downstream_nodes(nodes, start):
    """Every node that depends on the tensor `start`."""
    consumers = collections.defaultdict(list)
    for node in nodes:
        for name in node.input:
            consumers[name].append(node)
    found, seen, queue = [], set(), [start]
    while queue:
        for node in consumers.get(queue.pop(), []):
            if id(node) not in seen:
                seen.add(id(node))
                found.append(node)
                queue.extend(node.output)
    return found


def constant_feeders(graph, island):
    """The nodes that compute from initializers and constants only (no graph input) and feed `island`: the
    safety checker's normalised concept embeddings, which onnxruntime folds at load, kept fp32 to fold exactly."""
    producer = {name: node for node in graph.node for name in node.output}
    inputs = {i.name for i in graph.input}
    constant = {}

    def is_constant(node):
        if id(node) not in constant:
            constant[id(node)] = all(name not in inputs and (name not in producer or is_constant(producer[name]))
                                     for name in node.input if name)
        return constant[id(node)]

    found, seen, queue = [], {id(n) for n in island}, [name for n in island for name in n.input]
    while queue:
        node = producer.get(queue.pop())
        if node is None or id(node) in seen or not is_constant(node):
            continue
        seen.add(id(node))
        found.append(node)
        queue.extend(node.input)
    return found


def fp32_island(graph, part):
    """The nodes of PART that stay fp32: the UNet's time embedding; the safety checker's decision (everything
    after its visual projection: normalisation, cosine similarities, thresholds, the comparison with 0),
    so that fp16 rounding of the scores does not flip a decision."""
    nodes = graph.node
    if part == "unet":
        return time_embedding_nodes(nodes)
    if part == "safety_checker":
        projection = [n for n in nodes if "visual_projection" in n.name and n.op_type in ("MatMul", "Gemm")]
        # the projection itself too: its output feeds several nodes, and the converter names the cast it puts
        # before each blocked reader after that tensor (two nodes of one name: an invalid model)
        if not projection:
            return []
        island = projection[:1] + downstream_nodes(nodes, projection[0].output[0])
        return constant_feeders(graph, island) + island
    return []


def float32_inputs(graph, part):
    """The inputs that stay float32 in an fp16 graph: the UNet's timestep (its sinusoidal embedding is an
    fp32 island) and an LCM UNet's timestep_cond (the guidance embedding, float32 like timestep)."""
    return [i.name for i in graph.input if part == "unet" and i.name in ("timestep", "timestep_cond")]


class _WarningCatcher(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def convert_fp16(model, part, keep_fp32_ops):
    """onnxruntime's float16 conversion with the fp32 islands; returns the names of the fp32 nodes and
    warnings (a failed type inference: the conversion may then miss casts, which the parity run shows)."""
    from onnx import helper
    from onnxruntime.transformers import float16
    # float16's make_value_info_from_tensor reads a tensor's data for its shape (and reads an external
    # fp32 tensor retyped to fp16 as twice as many elements); the dims say it without loading weights
    # that are still in the export's files (the save converts those one at a time). onnxruntime's tools
    # import the module twice (by bare name too, as onnx_model.py does): patch both copies.
    for name in ("float16", "onnxruntime.transformers.float16"):
        try:
            module = sys.modules.get(name) or importlib.import_module(name)
        except ImportError:
            continue
        module.make_value_info_from_tensor = lambda t: helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
    graph = model.model.graph
    blocked = name_nodes(fp32_island(graph, part), "time_embedding" if part == "unet" else "fp32_island")
    warnings = []
    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
        # Run it here first, under the numpy guard: inside the conversion a failure is only logged,
        # and the conversion then goes on without type information.
        with_numpy_compat(SymbolicShapeInference.infer_shapes, model.model, auto_merge=True, guess_output_rank=False)
    except ImportError:
        pass
    except Exception as error:  # noqa: BLE001 - reported, and the parity run judges the result
        warnings.append(f"symbolic shape inference: {error.__class__.__name__}: {error}")
        log.warning("%s: %s", part, warnings[-1])
    catcher = _WarningCatcher()
    logging.getLogger().addHandler(catcher)
    try:
        with_numpy_compat(model.convert_float_to_float16, keep_io_types=float32_inputs(model.model.graph, part) or False,
                          op_block_list=list(float16.DEFAULT_OP_BLOCK_LIST) + list(keep_fp32_ops), node_block_list=blocked)
    finally:
        logging.getLogger().removeHandler(catcher)
    warnings += [f"fp16 conversion: {m}" for m in catcher.messages if "symbolic shape inference" in m.lower()]
    if part == "unet":
        bypass_cast_round_trip(model.model.graph, "timestep")
    return blocked, warnings
