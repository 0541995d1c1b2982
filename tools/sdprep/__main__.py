"""`python3 tools/sdprep CHECKPOINT OUT ...` (or `python3 -m sdprep` with tools/ on the path): the same as tools/prepare_model.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sdprep.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
