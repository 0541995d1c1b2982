"""Output parity of the engine against PyTorch/diffusers at real size: compares the final latents the
engine wrote (bench/pipeline-bench.ts --latents-out) with those diffusers wrote for the same weights,
initial latents and request (tools/bench_diffusers.py --latents-out, or the bench's
--torch-latents-out). Both files are raw little-endian float32.

The issue's bar: a 10-step run of the engine on WebGPU fp16 against PyTorch fp16, final latents
within 1e-2 relative L2 (||engine - torch|| / ||torch||).

  python3 tools/check_parity.py make-latents --seed 0 --shape 1,4,64,64 --out init.f32
  python3 tools/check_parity.py compare ENGINE.f32 TORCH.f32 [--shape 1,4,64,64] [--tolerance 1e-2]
  python3 tools/check_parity.py --self-test

`compare` prints the metrics and one `PARITY_JSON {...}` line; exit status 0 within tolerance, 1 not.
Needs numpy only.
"""
import argparse
import json
import sys

import numpy as np


def read_f32(path, shape=None):
    try:
        data = np.fromfile(path, dtype="<f4")
    except FileNotFoundError:
        raise SystemExit(f"{path}: no such file (did the run that writes it fail? see its log)") from None
    if shape is not None:
        if data.size != int(np.prod(shape)):
            raise SystemExit(f"{path}: {data.size} floats, expected {int(np.prod(shape))} for shape {shape}")
        data = data.reshape(shape)
    return data


def metrics(engine, reference):
    """Errors of `engine` against `reference` (same shape), all as plain floats."""
    engine = np.asarray(engine, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if engine.shape != reference.shape:
        raise ValueError(f"shape mismatch: {engine.shape} vs {reference.shape}")
    finite = bool(np.isfinite(engine).all() and np.isfinite(reference).all())
    diff = engine - reference
    norm = np.linalg.norm(reference)
    result = {
        "finite": finite,
        "rel_l2": float(np.linalg.norm(diff) / norm) if finite and norm > 0 else float("inf"),
        "max_abs": float(np.abs(diff).max()) if finite else float("inf"),
        "cosine": float((engine * reference).sum() / (np.linalg.norm(engine) * norm)) if finite and norm > 0 else float("nan"),
        "reference_rms": float(np.sqrt((reference ** 2).mean())),
    }
    if engine.ndim == 4:  # (batch, channels, h, w): where the error sits
        result["rel_l2_per_channel"] = [float(np.linalg.norm(diff[:, c]) / max(np.linalg.norm(reference[:, c]), 1e-30))
                                        for c in range(engine.shape[1])]
    return result


def make_latents(seed, shape):
    """N(0, 1) float32 latents from numpy's PCG64 (any fixed numbers do: both sides read the file)."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def parse_shape(text):
    return tuple(int(s) for s in text.split(",")) if text else None


def self_test():
    import unittest

    class Tests(unittest.TestCase):
        def test_identical(self):
            a = make_latents(0, (1, 4, 8, 8))
            m = metrics(a, a)
            self.assertEqual(m["rel_l2"], 0.0)
            self.assertAlmostEqual(m["cosine"], 1.0)

        def test_relative_l2(self):
            ref = np.ones((1, 4, 2, 2), dtype=np.float32)
            m = metrics(ref * 1.01, ref)
            self.assertAlmostEqual(m["rel_l2"], 0.01, places=6)
            self.assertAlmostEqual(m["max_abs"], 0.01, places=6)
            self.assertEqual(len(m["rel_l2_per_channel"]), 4)

        def test_nan_is_never_within_tolerance(self):
            ref = np.ones(4, dtype=np.float32)
            bad = ref.copy()
            bad[1] = np.nan
            m = metrics(bad, ref)
            self.assertFalse(m["finite"])
            self.assertFalse(m["rel_l2"] <= 1e-2)

        def test_latents_are_deterministic_and_standard(self):
            a, b = make_latents(3, (1, 4, 64, 64)), make_latents(3, (1, 4, 64, 64))
            self.assertTrue(np.array_equal(a, b))
            self.assertEqual(a.dtype, np.float32)
            self.assertLess(abs(float(a.mean())), 0.05)
            self.assertLess(abs(float(a.std()) - 1), 0.05)

        def test_round_trip_through_a_file(self):
            import os
            import tempfile
            a = make_latents(1, (1, 4, 4, 4))
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "x.f32")
                a.astype("<f4").tofile(path)
                self.assertTrue(np.array_equal(read_f32(path, (1, 4, 4, 4)), a))

    result = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromTestCase(Tests))
    return 0 if result.wasSuccessful() else 1


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--self-test"]:
        return self_test()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make-latents", help="write initial latents both sides will read")
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--shape", default="1,4,64,64")
    mk.add_argument("--out", required=True)
    cmp = sub.add_parser("compare", help="engine final latents against the PyTorch ones")
    cmp.add_argument("engine")
    cmp.add_argument("reference")
    cmp.add_argument("--shape", default="1,4,64,64")
    cmp.add_argument("--tolerance", type=float, default=1e-2, help="largest relative L2 that passes (default 1e-2)")
    args = p.parse_args(argv)

    if args.command == "make-latents":
        make_latents(args.seed, parse_shape(args.shape)).astype("<f4").tofile(args.out)
        print(f"{args.out}: N(0,1) float32 {args.shape}, seed {args.seed}")
        return 0
    shape = parse_shape(args.shape)
    m = metrics(read_f32(args.engine, shape), read_f32(args.reference, shape))
    ok = m["finite"] and m["rel_l2"] <= args.tolerance
    print(f"final latents, engine vs reference: relative L2 {m['rel_l2']:.3e} (limit {args.tolerance:g}), max abs {m['max_abs']:.3e}, "
          f"cosine {m['cosine']:.6f}, reference RMS {m['reference_rms']:.3f}: {'PASS' if ok else 'FAIL'}")
    if "rel_l2_per_channel" in m:
        print("per channel relative L2: " + ", ".join(f"{v:.2e}" for v in m["rel_l2_per_channel"]))
    print("PARITY_JSON " + json.dumps({**m, "tolerance": args.tolerance, "pass": ok, "engine": args.engine, "reference": args.reference}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
