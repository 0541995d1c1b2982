"""pytest setup for tools/: the package tools/sdprep importable as `sdprep`, one torch thread (the machine is shared).
Tests that need torch, diffusers or onnxruntime skip when those are missing (diffusers from a source checkout:
PYTHONPATH=/path/to/diffusers/src)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # sdprep, make_*.py
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TOOLS)
TINY_CONFIG = os.path.join(REPO, "fixtures", "tiny-sd-fp32", "tiny_config.json")


def needs(*modules):
    """Skips the calling test (module) unless every module imports."""
    for name in modules:
        pytest.importorskip(name)


def tiny_config():
    with open(TINY_CONFIG) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """The tiny fixture as a diffusers checkpoint (tools/make_tiny_checkpoint.py), made once per session."""
    needs("torch", "diffusers", "transformers")
    out = str(tmp_path_factory.mktemp("tiny") / "checkpoint")
    subprocess.run([sys.executable, os.path.join(TOOLS, "make_tiny_checkpoint.py"), out], check=True, capture_output=True)
    return out


def prepare(checkpoint, out, *options):
    """Runs tools/prepare_model.py CHECKPOINT OUT OPTIONS... and returns its prepare_model.json."""
    result = subprocess.run([sys.executable, os.path.join(TOOLS, "prepare_model.py"), checkpoint, out, *options],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(os.path.join(out, "prepare_model.json")) as f:
        return json.load(f)


def rel_l2(a, b):
    import numpy as np
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
