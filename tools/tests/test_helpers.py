"""The pure helpers of tools/sdprep (numpy only; formerly prepare_model.py --self-test): the numpy >= 2
shim, the time-embedding walk, the timestep cast bypass, the WebGPU operator check, static dims, shard planning.

  python3 -m pytest tools/tests
"""
import collections
import os
import subprocess
import sys
import types

import numpy as np
import pytest

from sdprep.fp16 import bypass_cast_round_trip, name_nodes, time_embedding_nodes
from sdprep.graph import fix_dims, static_dim_values
from sdprep.numpy_compat import with_numpy_compat
from sdprep.optimise import FUSIONS, FUSIONS_OFF, webgpu_problems
from sdprep.shards import plan_shards, shard_name

Node = types.SimpleNamespace


def assert_equal(a, b):
    assert a == b


def assert_in(a, b):
    assert a in b


def assert_not_in(a, b):
    assert a not in b


def assert_true(a):
    assert a


def assert_ge(a, b):
    assert a >= b


def test_numpy_compat_patches_only_the_failing_module():
    module = types.ModuleType("fake_fusion")
    exec("import numpy as np\n"
         "def heads(v):\n    n = int(v)\n    return n if isinstance(n, int) else -1\n"
         "def eps(v):\n    return float(v)\n"
         "def zeros():\n    return np.zeros(2, dtype=int).dtype, np.zeros(2, dtype=float).dtype\n", module.__dict__)
    sys.modules["fake_fusion"] = module
    try:
        with pytest.raises(TypeError):  # numpy >= 2 refuses int() of a (1,) array
            int(np.array([8]))
        assert_equal(with_numpy_compat(module.heads, np.array([8])), 8)
        assert_equal(with_numpy_compat(module.eps, np.array([1e-5], dtype=np.float32)), float(np.float32(1e-5)))
        assert_equal(module.zeros(), (np.dtype(np.int64), np.dtype(np.float64)))
        assert_equal(module.int("12"), 12)
        assert_true(isinstance(True, module.int) and not isinstance(1.5, module.int))
        with pytest.raises(TypeError):  # more than one element stays an error
            module.int(np.array([1, 2]))
    finally:
        del sys.modules["fake_fusion"]


def test_numpy_compat_leaves_other_errors():
    def bad():
        raise TypeError("something else")
    with pytest.raises(TypeError):
        with_numpy_compat(bad)


def test_time_embedding_stops_at_the_first_linear_layer():
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
    assert_equal(sorted(n.op_type for n in found), ["Concat", "Cos", "Expand", "Mul", "Sin", "Unsqueeze"])
    names = name_nodes(found, "time_embedding")
    assert_not_in("", names)
    assert_equal(len(set(names)), len(names))


def test_timestep_cast_round_trip_is_bypassed():
    cast = lambda name, src, dst, to: Node(name=name, op_type="Cast", input=[src], output=[dst],
                                           attribute=[types.SimpleNamespace(name="to", i=to)])
    graph = types.SimpleNamespace(node=[
        cast("graph_input_cast_1", "timestep", "t16", 10),
        cast("back_to_fp32", "t16", "t32", 1),
        Node(name="/time_proj/Mul", op_type="Mul", input=["t32", "freqs"], output=["arg"], attribute=[]),
        Node(name="/conv_in/Conv", op_type="Conv", input=["sample", "w"], output=["x"], attribute=[]),
    ])
    assert_equal(bypass_cast_round_trip(graph, "timestep"), 1)
    assert_equal([n.name for n in graph.node], ["/time_proj/Mul", "/conv_in/Conv"])
    assert_equal(graph.node[0].input, ["timestep", "freqs"])


def test_webgpu_problems():
    ok = [Node(name="a", op_type="Attention", domain="com.microsoft", input=["x", "w", "b"]),
          Node(name="m", op_type="MultiHeadAttention", domain="com.microsoft", input=["q", "k", "v", "bias"]),
          Node(name="c", op_type="Conv", domain="", input=["x", "w"])]
    assert_equal(webgpu_problems(ok), [])
    bad = [Node(name="g", op_type="GroupNorm", domain="com.microsoft", input=["x", "g", "b"]),
           Node(name="p", op_type="MultiHeadAttention", domain="com.microsoft", input=["q", "kv"])]
    assert_equal(len(webgpu_problems(bad)), 2)


def test_static_dims():
    assert_equal(static_dim_values("unet", 2, 512, 512), dict(batch=2, sequence=77, channels=4, height=64, width=64))
    assert_equal(static_dim_values("vae_decoder", 2, 512, 768), dict(batch=1, channels=4, height=64, width=96))
    class Dim:  # the part of onnx's TensorShapeProto.Dimension fix_dims uses
        def __init__(self, param="", value=0):
            self.dim_param, self.dim_value = param, value

        def ClearField(self, field):
            setattr(self, field, "")

    dims = [Dim("batch"), Dim(value=4), Dim("height"), Dim("width")]
    value = types.SimpleNamespace(type=types.SimpleNamespace(tensor_type=types.SimpleNamespace(shape=types.SimpleNamespace(dim=dims))))
    graph = types.SimpleNamespace(input=[value], output=[], value_info=[])
    assert_equal(fix_dims(graph, dict(batch=2, height=64, width=64)), 3)
    assert_equal([d.dim_value for d in dims], [2, 4, 64, 64])
    assert_equal([d.dim_param for d in dims], ["", "", "", ""])


def test_shards_never_pass_the_limit_and_stay_aligned():
    # 40-byte tensors, 32-byte alignment, files of 110: two fit (0, 64: 104 bytes), the third starts a new file
    assert_equal(plan_shards([40, 40, 40], 110, align=32), [(0, 0), (0, 64), (1, 0)])
    assert_equal(plan_shards([40, 40], 100, align=32), [(0, 0), (1, 0)])  # 64 + 40 > 100
    sizes = [300, 5, 700, 1000, 1, 1, 999, 2000, 3]
    placed = plan_shards(sizes, 1024, align=64)
    for (file, offset), size in zip(placed, sizes):
        assert_equal(offset % 64, 0)
        assert_true(offset + size <= 1024 or offset == 0)  # only a tensor larger than a file gets one of its own
    ends = collections.defaultdict(int)
    for (file, offset), size in zip(placed, sizes):
        assert_ge(offset, ends[file])  # no overlap, in order
        ends[file] = offset + size
    assert_equal([shard_name(i) for i in range(3)], ["weights.pb", "weights-2.pb", "weights-3.pb"])


def test_fusion_table_has_no_fused_op_without_webgpu_kernel():
    assert_not_in("enable_group_norm", sum(FUSIONS.values(), []))
    assert_in("enable_group_norm", FUSIONS_OFF)
    assert_in("enable_packed_qkv", FUSIONS_OFF)



def test_both_entries_print_the_usage():
    tools = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for entry in ("prepare_model.py", "sdprep"):
        result = subprocess.run([sys.executable, f"{tools}/{entry}", "--help"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "--target" in result.stdout and "prepare_model" in result.stdout
