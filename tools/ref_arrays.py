"""Writing the reference makers' arrays (tools/make_*_refs.py): one float32 array as raw little-endian .f32,
and its manifest entry (file name and shape) as the TypeScript tests read it (src/testing/reference-data.ts)."""
import os

import numpy as np


def save(out, name, array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    array.tofile(os.path.join(out, name))
    return {"file": name, "shape": list(array.shape)}
