"""Turns a diffusers Stable Diffusion v1 checkpoint (a local save_pretrained directory) into the
web-ready ONNX folder the engine runs fastest on WebGPU, in diffusers' ONNX layout:

  model_index.json  scheduler/  tokenizer/ (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json)
  text_encoder/model.onnx   input_ids int32 [batch, sequence] -> last_hidden_state, pooler_output
  unet/model.onnx + unet/weights.pb   sample [batch, 4, h, w], timestep float32 [batch], encoder_hidden_states -> out_sample
  vae_decoder/model.onnx    latent_sample -> sample        vae_encoder/model.onnx   sample -> latent_sample (the mean)
  */config.json             the diffusers configs (the engine reads unet sample_size and the VAE scaling_factor)
  prepare_model.json        how this folder was made: options, versions, operator counts, fp32 islands

Per model, in this order (tools/README.md says why):
  1. export fp32 with torch.onnx.export (TorchScript exporter, opset 17, dynamic axes);
  2. onnxruntime's transformer optimizer on the fp32 graph (optimize_model, opt_level 0) with only the
     fusions whose fused operators have WebGPU kernels: Attention / MultiHeadAttention with separate
     Q, K, V (no packed QKV/KV: "not implemented for webgpu"), BiasAdd, Gelu/BiasGelu,
     LayerNormalization, SkipLayerNormalization; BiasSplitGelu only for --fp32 (its fp16 kernel fails on
     an H100). GroupNorm, SkipGroupNorm and NhwcConv stay off: the WebGPU EP has no kernel for them;
  3. fp16 (onnxruntime.transformers.float16) keeping in fp32 what loses precision in fp16: the UNet's
     sinusoidal time embedding (timestep * frequencies, sin, cos: the arguments reach 1000, where
     fp16 steps by 0.5; PyTorch computes it in fp32 too) and the float32 `timestep` input, the UNet's
     Conv (fp16 WebGPU convolutions put the result 10x further from PyTorch than PyTorch's own fp16;
     their weights are stored fp16 and widened at load; --fp16-conv opts out), plus --keep-fp32-ops;
  4. optionally static shapes (--static-shapes): every symbolic input dim fixed for one size.

The fused-op check after step 2 fails loudly if the optimizer produced an operator the WebGPU EP
lacks. numpy >= 2 made int()/float() of one-element arrays an error ("only 0-dimensional arrays can
be converted to Python scalars"), which stops onnxruntime's optimizer in places (e.g. num_heads
detection for PyTorch 2 exports): with_numpy_compat() retries with lenient int()/float() in the one
module that failed, and says so.

  python3 tools/prepare_model.py CHECKPOINT_DIR OUT_DIR [--work-dir DIR] [--disable-fusion attention] ...
  python3 tools/prepare_model.py --self-test      (the pure helpers; needs numpy only)

Needs torch, diffusers, transformers, onnx and onnxruntime (its Python package has the optimizer).
"""
import argparse
import collections
import json
import logging
import os
import shutil
import sys
import time
import types

PARTS = ("text_encoder", "unet", "vae_decoder", "vae_encoder")
OPTIMIZER_MODEL_TYPE = {"text_encoder": "clip", "unet": "unet", "vae_decoder": "vae", "vae_encoder": "vae"}

# Fused operators (domain com.microsoft) with a kernel in onnxruntime's WebGPU EP (1.30; the EP that
# onnxruntime-web's webgpu build and onnxruntime-node share), each checked there (bench/README.md).
WEBGPU_CONTRIB_OPS = {
    "Attention", "MultiHeadAttention", "BiasAdd", "BiasSplitGelu", "BiasGelu", "FastGelu", "Gelu", "QuickGelu",
    "SkipLayerNormalization", "SkipSimplifiedLayerNormalization", "RotaryEmbedding", "GroupQueryAttention",
    "MatMulNBits", "FusedConv",
}

# Our fusion names -> onnxruntime FusionOptions attributes (set where that onnxruntime has them).
FUSIONS = {
    "attention": ["enable_attention"],
    "bias_add": ["enable_bias_add"],
    "bias_split_gelu": ["enable_bias_splitgelu"],
    "gelu": ["enable_gelu", "enable_bias_gelu"],
    "layer_norm": ["enable_layer_norm"],
    "skip_layer_norm": ["enable_skip_layer_norm", "enable_bias_skip_layer_norm"],
}
# Always off: fused operators without WebGPU kernels, or layouts the WebGPU kernels reject.
FUSIONS_OFF = ["enable_group_norm", "enable_skip_group_norm", "enable_nhwc_conv", "enable_packed_qkv", "enable_packed_kv",
               "enable_gemm_fast_gelu", "enable_embed_layer_norm", "enable_qordered_matmul", "enable_gelu_approximation"]

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

log = logging.getLogger("prepare_model")


# --- numpy >= 2 compatibility for onnxruntime's Python tools -------------------------------------------

class _LenientScalarMeta(type):
    """int()/float() that accept one-element arrays as numpy < 2 did; everything else as the builtin.
    isinstance/issubclass and numpy dtype= see the builtin type."""

    def __call__(cls, *args, **kwargs):
        np = sys.modules.get("numpy")
        if np is not None and len(args) == 1 and not kwargs and isinstance(args[0], np.ndarray) and args[0].size == 1:
            args = (args[0].item(),)
        return cls._builtin(*args, **kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls._builtin)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls._builtin)


def _lenient(builtin):
    import numpy as np
    return _LenientScalarMeta(f"lenient_{builtin.__name__}", (builtin,), {"_builtin": builtin, "dtype": np.dtype(builtin)})


def _is_scalar_conversion_error(error):
    text = str(error)
    return isinstance(error, TypeError) and ("0-dimensional arrays" in text or "size-1 arrays" in text)


def _failing_module(tb):
    """The module of the innermost Python frame of a traceback (the one that called int()/float())."""
    frame = None
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
    name = frame.f_globals.get("__name__") if frame else None
    return (sys.modules.get(name) if name else None), frame


def with_numpy_compat(fn, *args, max_patches=12, **kwargs):
    """fn(*args, **kwargs); on numpy's scalar-conversion TypeError, shadows int/float in the module that
    raised it with lenient versions and retries (each module at most once)."""
    patched = set()
    while True:
        try:
            return fn(*args, **kwargs)
        except TypeError as error:
            if not _is_scalar_conversion_error(error):
                raise
            module, frame = _failing_module(error.__traceback__)
            if module is None or module.__name__ in patched or len(patched) >= max_patches or module.__name__.startswith("numpy"):
                raise
            module.int = _lenient(int)
            module.float = _lenient(float)
            patched.add(module.__name__)
            log.warning("numpy %s: patched int()/float() in %s (%s:%d) for one-element arrays, retrying",
                        sys.modules["numpy"].__version__, module.__name__, frame.f_code.co_filename, frame.f_lineno)


# --- graph helpers (work on onnx NodeProto or anything with name/op_type/input/output) ------------------

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


def webgpu_problems(nodes):
    """Operators the WebGPU EP cannot run, as readable lines (empty when all is well)."""
    problems = []
    for node in nodes:
        if node.domain != "com.microsoft":
            continue
        if node.op_type not in WEBGPU_CONTRIB_OPS:
            problems.append(f"{node.op_type} ({node.name}): no WebGPU kernel")
        elif node.op_type == "MultiHeadAttention" and (len(node.input) < 3 or not node.input[1] or not node.input[2]):
            problems.append(f"MultiHeadAttention ({node.name}) with packed QKV or KV: not implemented for WebGPU")
    return problems


def op_counts(nodes):
    return dict(sorted(collections.Counter(f"{n.domain + '.' if n.domain else ''}{n.op_type}" for n in nodes).items()))


def static_dim_values(part, batch, height, width, latent_channels=4):
    """The size of each symbolic dim (as this tool names them at export) for one request size."""
    latent = dict(channels=latent_channels, height=height // 8, width=width // 8)
    return {
        "text_encoder": dict(batch=1, sequence=77),
        "unet": dict(batch=batch, sequence=77, **latent),
        "vae_decoder": dict(batch=1, **latent),
        "vae_encoder": dict(batch=1, channels=3, height=height, width=width),
    }[part]


def fix_dims(graph, values):
    """Replaces symbolic dims by fixed sizes in the graph's inputs, outputs and value_info."""
    fixed = 0
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in values:
                size = values[dim.dim_param]
                dim.ClearField("dim_param")
                dim.dim_value = size
                fixed += 1
    return fixed


# --- export, optimise, convert -------------------------------------------------------------------------

def load_components(checkpoint):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel
    return {
        "text_encoder": lambda: CLIPTextModel.from_pretrained(checkpoint, subfolder="text_encoder", attn_implementation="eager"),
        "unet": lambda: UNet2DConditionModel.from_pretrained(checkpoint, subfolder="unet"),
        "vae": lambda: AutoencoderKL.from_pretrained(checkpoint, subfolder="vae"),
    }


def export_fp32(part, components, path, opset, device):
    """torch.onnx.export of one part in fp32, with diffusers' ONNX tensor names and dynamic axes."""
    import torch

    class Unet(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, sample, timestep, encoder_hidden_states):
            return self.m(sample, timestep, encoder_hidden_states, return_dict=False)[0]

    class LcmUnet(Unet):
        # an LCM-distilled UNet (time_cond_proj_dim set) takes its guidance embedding as timestep_cond
        def forward(self, sample, timestep, encoder_hidden_states, timestep_cond):
            return self.m(sample, timestep, encoder_hidden_states, timestep_cond=timestep_cond, return_dict=False)[0]

    class TextEncoder(Unet):
        def forward(self, input_ids):
            out = self.m(input_ids, return_dict=False)
            return out[0], out[1]

    class VaeDecoder(Unet):
        def forward(self, latent_sample):
            return self.m.decode(latent_sample, return_dict=False)[0]

    class VaeEncoder(Unet):
        def forward(self, sample):
            return self.m.encode(sample).latent_dist.mean

    image = dict(batch=0, channels=1, height=2, width=3)
    nchw = {i: n for n, i in image.items()}
    if part == "unet":
        m = components["unet"]()
        c = m.config
        side = c.sample_size if isinstance(c.sample_size, int) else c.sample_size[0]
        model = Unet(m)
        args = (torch.randn(2, c.in_channels, side, side), torch.tensor([999.0, 999.0]), torch.randn(2, 77, c.cross_attention_dim))
        names = (["sample", "timestep", "encoder_hidden_states"], ["out_sample"])
        axes = {"sample": nchw, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": nchw}
        if getattr(c, "time_cond_proj_dim", None):
            # without this input the guidance embedding would be dropped without a word (diffusers passes timestep_cond)
            model = LcmUnet(m)
            args = (*args, torch.randn(2, c.time_cond_proj_dim))
            names = (["sample", "timestep", "encoder_hidden_states", "timestep_cond"], ["out_sample"])
            axes = {**axes, "timestep_cond": {0: "batch"}}
    elif part == "text_encoder":
        model = TextEncoder(components["text_encoder"]())
        args = (torch.zeros(1, 77, dtype=torch.int32),)
        names = (["input_ids"], ["last_hidden_state", "pooler_output"])
        axes = {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}
    else:
        vae = components["vae"]()
        c = vae.config
        side = c.sample_size if isinstance(c.sample_size, int) else c.sample_size[0]
        if part == "vae_decoder":
            model = VaeDecoder(vae)
            args = (torch.randn(1, c.latent_channels, side // 8, side // 8),)
            names = (["latent_sample"], ["sample"])
            axes = {"latent_sample": nchw, "sample": nchw}
        else:
            model = VaeEncoder(vae)
            args = (torch.randn(1, c.in_channels, side, side),)
            names = (["sample"], ["latent_sample"])
            axes = {"sample": nchw, "latent_sample": nchw}
    model = model.eval().to(device)
    args = tuple(a.to(device) for a in args)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, args, path, dynamo=False, input_names=names[0], output_names=names[1], dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True)
    del model


def fusion_options(model_type, disabled):
    from onnxruntime.transformers.fusion_options import FusionOptions
    options = FusionOptions(model_type)
    applied = {}
    for fusion, attrs in FUSIONS.items():
        for attr in attrs:
            if hasattr(options, attr):
                setattr(options, attr, fusion not in disabled)
                applied[attr] = fusion not in disabled
    for attr in FUSIONS_OFF:
        if hasattr(options, attr):
            setattr(options, attr, False)
            applied[attr] = False
    if hasattr(options, "use_multi_head_attention"):
        options.use_multi_head_attention = False  # self-attention as Attention (merged QKV weights)
    return options, applied


class weights_beside:
    """Runs a block in the directory of an ONNX file loaded without its external data: onnx's
    numpy_helper.to_array then finds each external tensor's file there (relative `location`), so the
    optimizer and converters read only the few weights they look at, never the whole model."""

    def __init__(self, model_path):
        self.directory = os.path.dirname(os.path.abspath(model_path))

    def __enter__(self):
        self.previous = os.getcwd()
        os.chdir(self.directory)

    def __exit__(self, *exc):
        os.chdir(self.previous)


def load_graph(path):
    """The ONNX model at `path` without its external data (the weights stay in their files)."""
    import onnx
    return onnx.load_model(path, load_external_data=False)


def optimize_fp32(path, model_type, disabled):
    import importlib
    from onnxruntime.transformers.optimizer import optimize_by_fusion
    options, applied = fusion_options(model_type, disabled)
    # Some onnxruntime versions convert Conv to NhwcConv in the UNet (and VAE) whatever the options say.
    # The optimizer imports its modules by bare name (onnxruntime/transformers is put on sys.path), a
    # second copy of each: patch both.
    for name in ("onnx_model_unet", "onnxruntime.transformers.onnx_model_unet"):
        try:
            module = sys.modules.get(name) or importlib.import_module(name)
            module.UnetOnnxModel.convert_conv_to_nhwc = lambda self: None
        except (ImportError, AttributeError):
            pass
    # optimize_model(opt_level=0) is load + optimize_by_fusion; loading the graph without its weights
    # keeps the UNet's 3.4 GB out of memory (the optimizer reached 23.9 GB with them loaded).
    # A retry after a numpy patch starts again from the file: the failed attempt may have fused part of the graph.
    with weights_beside(path):
        model = with_numpy_compat(lambda: optimize_by_fusion(load_graph(path), model_type=model_type, num_heads=0, hidden_size=0,
                                                             optimization_options=options))
    return model, applied


def weights_of(graph, op_types):
    """Names of the float32 initializers that only nodes of `op_types` read (as weights or biases)."""
    import onnx
    readers = collections.defaultdict(set)
    for node in graph.node:
        for name in node.input:
            readers[name].add(node.op_type)
    return {t.name for t in graph.initializer
            if t.data_type == onnx.TensorProto.FLOAT and readers.get(t.name) and readers[t.name] <= set(op_types)}


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


class _WarningCatcher(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def convert_fp16(model, part, keep_fp32_ops):
    """onnxruntime's float16 conversion with the fp32 islands; returns the names of the fp32 nodes and
    warnings (a failed type inference: the conversion may then miss casts, which the parity run shows)."""
    import importlib
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
    blocked = name_nodes(time_embedding_nodes(graph.node), "time_embedding") if part == "unet" else []
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
        with_numpy_compat(model.convert_float_to_float16, keep_io_types=["timestep"] if part == "unet" else False,
                          op_block_list=list(float16.DEFAULT_OP_BLOCK_LIST) + list(keep_fp32_ops), node_block_list=blocked)
    finally:
        logging.getLogger().removeHandler(catcher)
    warnings += [f"fp16 conversion: {m}" for m in catcher.messages if "symbolic shape inference" in m.lower()]
    if part == "unet":
        bypass_cast_round_trip(model.model.graph, "timestep")
    return blocked, warnings


# --- streaming save: weights copied tensor by tensor into files of at most --max-file-bytes ------------------

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


def fp16_bytes(fp32_bytes):
    """float32 bytes -> float16 bytes as onnxruntime's float16 converter does (clamped to fp16's range)."""
    import numpy as np
    from onnxruntime.transformers.float16 import convert_np_to_float16
    return convert_np_to_float16(np.frombuffer(fp32_bytes, dtype=np.float32)).tobytes()


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


def copy_configs(checkpoint, out_dir):
    for source, targets in {"scheduler": ["scheduler"], "tokenizer": ["tokenizer"], "text_encoder": ["text_encoder"],
                            "unet": ["unet"], "vae": ["vae_decoder", "vae_encoder"]}.items():
        src = os.path.join(checkpoint, source)
        for target in targets:
            os.makedirs(os.path.join(out_dir, target), exist_ok=True)
            for name in os.listdir(src):
                if name.endswith((".json", ".txt")):
                    shutil.copyfile(os.path.join(src, name), os.path.join(out_dir, target, name))
    # the scheduler class the checkpoint names (LCMScheduler for an LCM-distilled one), not always PNDM
    with open(os.path.join(checkpoint, "scheduler", "scheduler_config.json")) as f:
        scheduler_class = json.load(f).get("_class_name", "PNDMScheduler")
    with open(os.path.join(out_dir, "model_index.json"), "w") as f:
        json.dump({"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.36.0",
                   "scheduler": ["diffusers", scheduler_class], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
                   "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
                   "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
                   "safety_checker": [None, None], "feature_extractor": [None, None], "requires_safety_checker": False}, f, indent=2)


def peak_rss_mb():
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kilobytes


def prepare_part(args, part):
    """One part, start to end, in this process (prepare() runs each in a child to measure its own peak memory)."""
    import onnx
    t0 = time.time()
    info = {"stages": {}}

    def stage(name, since):
        info["stages"][name] = round(time.time() - since, 1)
        log.info("%s: %s (%.0f s, peak RSS %d MB)", part, name, time.time() - since, peak_rss_mb())
        return time.time()

    fp32_path = os.path.join(args.work_dir, part, "model.onnx")
    t = time.time()
    if os.path.exists(fp32_path) and not args.re_export:
        log.info("%s: reusing the fp32 export %s", part, fp32_path)
    else:
        shutil.rmtree(os.path.dirname(fp32_path), ignore_errors=True)
        export_fp32(part, load_components(args.checkpoint), fp32_path, args.opset, args.device)
        t = stage("export fp32", t)
    if args.target == "webgpu" and not args.no_optimize:
        model, info["fusion_options"] = optimize_fp32(fp32_path, OPTIMIZER_MODEL_TYPE[part], args.disable_fusion)
        problems = webgpu_problems(model.model.graph.node)
        if problems:
            raise SystemExit(f"{part}: the optimised graph has operators the WebGPU EP cannot run:\n  " + "\n  ".join(problems) +
                             "\nTurn the fusion off (--disable-fusion NAME) or report the onnxruntime version.")
        t = stage("optimise", t)
    else:
        from onnxruntime.transformers.onnx_model import OnnxModel
        model = OnnxModel(load_graph(fp32_path))
    info["ops"] = op_counts(model.model.graph.node)
    if args.precision == "fp16":
        keep = keep_fp32_ops(args, part)
        with weights_beside(fp32_path):
            info["fp32_nodes"], info["fp16_warnings"] = convert_fp16(model, part, keep)
        info["keep_fp32_ops"] = keep
        if keep:  # their arithmetic in fp32, their weights stored as fp16 (the download stays fp16-sized)
            info["fp16_stored_fp32_weights"] = cast_weights_to_fp16(model.model.graph, names=weights_of(model.model.graph, keep))
        t = stage("fp16", t)
    elif args.precision == "fp16-weights":
        info["fp16_weights"] = cast_weights_to_fp16(model.model.graph)
    if args.static_shapes:
        values = static_dim_values(part, args.batch, args.height, args.width)
        info["static_dims"] = values
        info["fixed_dims"] = fix_dims(model.model.graph, values)
    info["files"] = save(model.model, args.out, part, external=(part == "unet"), source_dir=os.path.dirname(fp32_path),
                         max_file_bytes=args.max_file_bytes)
    stage("save", t)
    info["seconds"] = round(time.time() - t0, 1)
    info["peak_rss_mb"] = peak_rss_mb()
    del model
    return info


def keep_fp32_ops(args, part):
    """The op types of PART that stay fp32 in an fp16 webgpu folder: --keep-fp32-ops, plus the measured default."""
    default = [] if args.fp16_conv else WEBGPU_FP32_OPS.get(part, [])
    return list(dict.fromkeys(list(args.keep_fp32_ops) + default))


def child_argv(argv, part, report):
    """The command line for one part in a child process: the same options, one part."""
    return [sys.executable, os.path.abspath(__file__), *argv, "--parts", part, "--child-report", report]


def prepare(args, argv):
    import subprocess
    import tempfile
    import importlib.metadata
    import numpy
    import onnx
    import onnxruntime
    t0 = time.time()
    copy_configs(args.checkpoint, args.out)
    report = {"target": args.target, "precision": args.precision, "max_file_bytes": args.max_file_bytes,
              "checkpoint": args.checkpoint, "onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__,
              "torch": importlib.metadata.version("torch"), "numpy": numpy.__version__, "opset": args.opset,
              "optimize": args.target == "webgpu" and not args.no_optimize, "disabled_fusions": sorted(args.disable_fusion),
              "keep_fp32_ops": args.keep_fp32_ops, "parts": {},
              "static_shapes": {"batch": args.batch, "height": args.height, "width": args.width} if args.static_shapes else None}
    for part in args.parts:
        if args.in_process:
            report["parts"][part] = prepare_part(args, part)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            child_report = os.path.join(tmp, "part.json")
            result = subprocess.run(child_argv(argv, part, child_report))
            if result.returncode != 0:
                raise SystemExit(f"{part}: preparing it failed (exit {result.returncode}; -9 or 137: killed for memory). See the log above.")
            with open(child_report) as f:
                report["parts"][part] = json.load(f)
    report["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "prepare_model.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(summary_table(report))
    print(json.dumps({"out": args.out, "target": args.target, "precision": args.precision, "seconds": report["seconds"],
                      "ops": {p: {k: v for k, v in i["ops"].items() if k.startswith("com.microsoft")} for p, i in report["parts"].items()}}))


def summary_table(report):
    """Per part: seconds, peak RSS, output files and sizes (a Markdown table)."""
    rows = ["| part | seconds | stages | peak RSS | files |", "| --- | ---: | --- | ---: | --- |"]
    for part, info in report["parts"].items():
        stages = ", ".join(f"{k} {v} s" for k, v in info.get("stages", {}).items())
        files = ", ".join(f"{name} {size / 1e6:,.1f} MB" for name, size in info["files"].items())
        rows.append(f"| {part} | {info['seconds']} | {stages} | {info['peak_rss_mb'] / 1000:.2f} GB | {files} |")
    total = sum(sum(i["files"].values()) for i in report["parts"].values())
    rows.append(f"| total | {report['seconds']} | | {max(i['peak_rss_mb'] for i in report['parts'].values()) / 1000:.2f} GB (max) | {total / 1e6:,.1f} MB |")
    return "\n".join(rows)


# --- self-test (numpy only) ----------------------------------------------------------------------------

def self_test():
    import unittest
    import numpy as np

    Node = types.SimpleNamespace

    class Tests(unittest.TestCase):
        def test_numpy_compat_patches_only_the_failing_module(self):
            module = types.ModuleType("fake_fusion")
            exec("import numpy as np\n"
                 "def heads(v):\n    n = int(v)\n    return n if isinstance(n, int) else -1\n"
                 "def eps(v):\n    return float(v)\n"
                 "def zeros():\n    return np.zeros(2, dtype=int).dtype, np.zeros(2, dtype=float).dtype\n", module.__dict__)
            sys.modules["fake_fusion"] = module
            try:
                with self.assertRaises(TypeError):  # numpy >= 2 refuses int() of a (1,) array
                    int(np.array([8]))
                self.assertEqual(with_numpy_compat(module.heads, np.array([8])), 8)
                self.assertEqual(with_numpy_compat(module.eps, np.array([1e-5], dtype=np.float32)), float(np.float32(1e-5)))
                self.assertEqual(module.zeros(), (np.dtype(np.int64), np.dtype(np.float64)))
                self.assertEqual(module.int("12"), 12)
                self.assertTrue(isinstance(True, module.int) and not isinstance(1.5, module.int))
                with self.assertRaises(TypeError):  # more than one element stays an error
                    module.int(np.array([1, 2]))
            finally:
                del sys.modules["fake_fusion"]

        def test_numpy_compat_leaves_other_errors(self):
            def bad():
                raise TypeError("something else")
            with self.assertRaises(TypeError):
                with_numpy_compat(bad)

        def test_time_embedding_stops_at_the_first_linear_layer(self):
            nodes = [
                Node(name="/Expand", op_type="Expand", input=["timestep", "shape"], output=["t"]),
                Node(name="/time_proj/Unsqueeze", op_type="Unsqueeze", input=["t"], output=["t1"]),
                Node(name="/time_proj/Mul", op_type="Mul", input=["t1", "freqs"], output=["arg"]),
                Node(name="/time_proj/Sin", op_type="Sin", input=["arg"], output=["s"]),
                Node(name="", op_type="Cos", input=["arg"], output=["c"]),
                Node(name="/time_proj/Concat", op_type="Concat", input=["c", "s"], output=["emb"]),
                Node(name="/time_embedding/linear_1/Gemm", op_type="Gemm", input=["emb", "w", "b"], output=["h"]),
                Node(name="/time_embedding/act/Sigmoid", op_type="Sigmoid", input=["h"], output=["h1"]),
                Node(name="/conv_in/Conv", op_type="Conv", input=["sample", "cw"], output=["x"]),
            ]
            found = time_embedding_nodes(nodes)
            self.assertEqual(sorted(n.op_type for n in found), ["Concat", "Cos", "Expand", "Mul", "Sin", "Unsqueeze"])
            names = name_nodes(found, "time_embedding")
            self.assertNotIn("", names)
            self.assertEqual(len(set(names)), len(names))

        def test_timestep_cast_round_trip_is_bypassed(self):
            cast = lambda name, src, dst, to: Node(name=name, op_type="Cast", input=[src], output=[dst],
                                                   attribute=[types.SimpleNamespace(name="to", i=to)])
            graph = types.SimpleNamespace(node=[
                cast("graph_input_cast_1", "timestep", "t16", 10),
                cast("back_to_fp32", "t16", "t32", 1),
                Node(name="/time_proj/Mul", op_type="Mul", input=["t32", "freqs"], output=["arg"], attribute=[]),
                Node(name="/conv_in/Conv", op_type="Conv", input=["sample", "w"], output=["x"], attribute=[]),
            ])
            self.assertEqual(bypass_cast_round_trip(graph, "timestep"), 1)
            self.assertEqual([n.name for n in graph.node], ["/time_proj/Mul", "/conv_in/Conv"])
            self.assertEqual(graph.node[0].input, ["timestep", "freqs"])

        def test_webgpu_problems(self):
            ok = [Node(name="a", op_type="Attention", domain="com.microsoft", input=["x", "w", "b"]),
                  Node(name="m", op_type="MultiHeadAttention", domain="com.microsoft", input=["q", "k", "v", "bias"]),
                  Node(name="c", op_type="Conv", domain="", input=["x", "w"])]
            self.assertEqual(webgpu_problems(ok), [])
            bad = [Node(name="g", op_type="GroupNorm", domain="com.microsoft", input=["x", "g", "b"]),
                   Node(name="p", op_type="MultiHeadAttention", domain="com.microsoft", input=["q", "kv"])]
            self.assertEqual(len(webgpu_problems(bad)), 2)

        def test_static_dims(self):
            self.assertEqual(static_dim_values("unet", 2, 512, 512), dict(batch=2, sequence=77, channels=4, height=64, width=64))
            self.assertEqual(static_dim_values("vae_decoder", 2, 512, 768), dict(batch=1, channels=4, height=64, width=96))
            class Dim:  # the part of onnx's TensorShapeProto.Dimension fix_dims uses
                def __init__(self, param="", value=0):
                    self.dim_param, self.dim_value = param, value

                def ClearField(self, field):
                    setattr(self, field, "")

            dims = [Dim("batch"), Dim(value=4), Dim("height"), Dim("width")]
            value = types.SimpleNamespace(type=types.SimpleNamespace(tensor_type=types.SimpleNamespace(shape=types.SimpleNamespace(dim=dims))))
            graph = types.SimpleNamespace(input=[value], output=[], value_info=[])
            self.assertEqual(fix_dims(graph, dict(batch=2, height=64, width=64)), 3)
            self.assertEqual([d.dim_value for d in dims], [2, 4, 64, 64])
            self.assertEqual([d.dim_param for d in dims], ["", "", "", ""])

        def test_shards_never_pass_the_limit_and_stay_aligned(self):
            # 40-byte tensors, 32-byte alignment, files of 110: two fit (0, 64: 104 bytes), the third starts a new file
            self.assertEqual(plan_shards([40, 40, 40], 110, align=32), [(0, 0), (0, 64), (1, 0)])
            self.assertEqual(plan_shards([40, 40], 100, align=32), [(0, 0), (1, 0)])  # 64 + 40 > 100
            sizes = [300, 5, 700, 1000, 1, 1, 999, 2000, 3]
            placed = plan_shards(sizes, 1024, align=64)
            for (file, offset), size in zip(placed, sizes):
                self.assertEqual(offset % 64, 0)
                self.assertTrue(offset + size <= 1024 or offset == 0)  # only a tensor larger than a file gets one of its own
            ends = collections.defaultdict(int)
            for (file, offset), size in zip(placed, sizes):
                self.assertGreaterEqual(offset, ends[file])  # no overlap, in order
                ends[file] = offset + size
            self.assertEqual([shard_name(i) for i in range(3)], ["weights.pb", "weights-2.pb", "weights-3.pb"])

        def test_fusion_table_has_no_fused_op_without_webgpu_kernel(self):
            self.assertNotIn("enable_group_norm", sum(FUSIONS.values(), []))
            self.assertIn("enable_group_norm", FUSIONS_OFF)
            self.assertIn("enable_packed_qkv", FUSIONS_OFF)

    result = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromTestCase(Tests))
    return 0 if result.wasSuccessful() else 1


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", nargs="?", help="diffusers StableDiffusionPipeline directory (save_pretrained)")
    p.add_argument("out", nargs="?", help="output folder (diffusers ONNX layout)")
    p.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset of " + ",".join(PARTS))
    p.add_argument("--target", choices=["webgpu", "portable"], default="webgpu",
                   help="webgpu: fused operators with WebGPU kernels, fp16 (default). portable: no fused operators, runs on "
                        "onnxruntime-web wasm and onnxruntime-node's CPU EP (fp32, or --fp16-weights)")
    p.add_argument("--fp32", action="store_true", help="keep fp32 (webgpu: stop after optimisation; portable: the default)")
    p.add_argument("--fp16-weights", action="store_true",
                   help="portable: store weights as fp16 (half the download), widened to fp32 by Casts that onnxruntime folds at load")
    p.add_argument("--max-file-bytes", type=int, default=1 << 30,
                   help="largest external-data file (default 1 GiB; one browser buffer holds ~2 GB)")
    p.add_argument("--in-process", action="store_true", help="all parts in this process (default: one child per part, for its peak memory)")
    p.add_argument("--child-report", help=argparse.SUPPRESS)
    p.add_argument("--no-optimize", action="store_true", help="skip the transformer optimizer (plain export, for A/B)")
    p.add_argument("--disable-fusion", default="", help="comma-separated: " + ",".join(FUSIONS))
    p.add_argument("--keep-fp32-ops", default="", help="comma-separated op types to keep in fp32 as well (e.g. Softmax)")
    p.add_argument("--fp16-conv", action="store_true",
                   help="webgpu: the UNet's Conv in fp16 too (7%% faster on an H100, 10x further from PyTorch: see WEBGPU_FP32_OPS)")
    p.add_argument("--static-shapes", action="store_true", help="fix every symbolic input dim for --batch/--width/--height")
    p.add_argument("--batch", type=int, default=2, help="UNet batch for --static-shapes (2: CFG in one call)")
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--device", default="cpu", help="device for the export trace (cpu or cuda)")
    p.add_argument("--work-dir", help="where the fp32 exports go (reused by later runs; default OUT/.fp32)")
    p.add_argument("--re-export", action="store_true", help="export again even if the work dir has the fp32 model")
    p.add_argument("--self-test", action="store_true", help="test the pure helpers (numpy only) and exit")
    args = p.parse_args(argv)
    if not args.self_test and not (args.checkpoint and args.out):
        p.error("CHECKPOINT_DIR and OUT_DIR are required")
    args.parts = [s for s in args.parts.split(",") if s]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        p.error(f"unknown parts: {', '.join(sorted(unknown))}")
    args.disable_fusion = {s for s in args.disable_fusion.split(",") if s}
    if args.disable_fusion - set(FUSIONS):
        p.error(f"unknown fusions: {', '.join(sorted(args.disable_fusion - set(FUSIONS)))} (known: {', '.join(FUSIONS)})")
    args.keep_fp32_ops = [s for s in args.keep_fp32_ops.split(",") if s]
    if args.fp16_weights and args.target != "portable":
        p.error("--fp16-weights is for --target portable (the webgpu target computes in fp16)")
    if args.target == "portable" and (args.disable_fusion | set(args.keep_fp32_ops) or args.fp16_conv):
        p.error("--disable-fusion and --keep-fp32-ops are for --target webgpu (portable has no fusions and computes in fp32)")
    args.precision = ("fp16-weights" if args.fp16_weights else "fp32") if args.target == "portable" else ("fp32" if args.fp32 else "fp16")
    if args.precision == "fp16":
        args.disable_fusion |= WEBGPU_FP16_BROKEN_FUSIONS
    if not args.self_test:
        args.checkpoint, args.out = os.path.abspath(args.checkpoint), os.path.abspath(args.out)
        args.work_dir = os.path.abspath(args.work_dir or os.path.join(args.out, ".fp32"))
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.self_test:
        return self_test()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    import importlib.util
    # Found, not imported: torch and diffusers take a while to import, and a part whose fp32 export
    # exists (a second target, a child process) never needs them.
    missing = [m for m in ("numpy", "onnx", "onnxruntime", "torch", "diffusers", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"No module named {', '.join(missing)}: prepare_model.py needs torch, diffusers, transformers, onnx and onnxruntime "
                         "(on the GPU machine: source .gpu/setup.sh, with diffusers packed by prepare-carry.sh)")
    os.makedirs(args.out, exist_ok=True)
    if args.child_report:
        info = prepare_part(args, args.parts[0])
        with open(args.child_report, "w") as f:
            json.dump(info, f)
        return 0
    prepare(args, sys.argv[1:] if argv is None else list(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
