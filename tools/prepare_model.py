"""tools/prepare_model.py CHECKPOINT OUT [...]: the documented entry of the model preparation tool, whose code
is the package tools/sdprep/ (one module per stage; its docstring and tools/README.md say what it does).
Tests: python3 -m pytest tools/tests."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sdprep.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
