"""Stage 2: onnxruntime's transformer optimizer on the fp32 graph (optimize_by_fusion, as
optimize_model(opt_level=0) runs it), with only the fusions whose fused operators have WebGPU kernels,
and the check that the result has no operator the WebGPU EP lacks (tools/README.md, "Which fusions")."""
import importlib
import sys

from sdprep.graph import load_graph, weights_beside
from sdprep.numpy_compat import with_numpy_compat

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


def optimize_fp32(path, model_type, disabled):
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
