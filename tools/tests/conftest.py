"""pytest setup for tools/: the package tools/sdprep importable as `sdprep`, one torch thread (the machine is shared).
Tests that need torch, diffusers or onnxruntime skip when those are missing (diffusers from a source checkout:
PYTHONPATH=/path/to/diffusers/src)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("OMP_NUM_THREADS", "1")
