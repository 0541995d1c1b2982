"""numpy >= 2 compatibility for onnxruntime's Python tools: numpy 2 made int()/float() of one-element
arrays an error ("only 0-dimensional arrays can be converted to Python scalars"), which stops
onnxruntime's optimizer in places (e.g. num_heads detection for PyTorch 2 exports). with_numpy_compat()
retries with lenient int()/float() in the one module that failed, and says so (tools/README.md, "numpy >= 2")."""
import logging
import sys

log = logging.getLogger("prepare_model")


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
