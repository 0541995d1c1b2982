"""Reference loops for the scheduler tests, computed by diffusers itself.

Replays the scheduler-only loop of the project's fixture generator (tools/make_fixtures.py, "sched"):
dummy denoiser eps = x_in * t / (t + 1) with x_in = scale_model_input(x, t), start x = sample0 *
init_noise_sigma, euler_a noise from torch.Generator().manual_seed(0), for every scheduler at 10 / 25 / 50
steps with SD v1.4's settings, plus config variants (v_prediction, each timestep spacing, linear betas,
PRK warm-up, set_alpha_to_one) at 10 / 25 steps.

Run (needs torch and diffusers importable; numbers here came from diffusers 0.40.0.dev0, commit
58eb52c0803ea9af3abec60841c2a093bdf1f951, torch 2.13.0 CPU, x86-64 AVX512):
    python make_diffusers_loops.py  # writes diffusers-loops.json and diffusers-loops.f32 beside this file
"""
import json, os
import numpy as np, torch, diffusers

HERE = os.path.dirname(os.path.abspath(__file__))
# SD v1.4's scheduler settings as tools/make_fixtures.py passes them (no timestep_spacing: class defaults)
SD14 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1, clip_sample=False, trained_betas=None)
CLASSES = {
    "pndm": ("PNDMScheduler", {}), "ddim": ("DDIMScheduler", {}), "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}), "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}), "dpmpp_2m": ("DPMSolverMultistepScheduler", {}),
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "unipc": ("UniPCMultistepScheduler", {}),
}

cases = [(s, n, {}) for s in CLASSES for n in (10, 25, 50)]
for s in CLASSES:
    for n in (10, 25):
        cases.append((s, n, {"prediction_type": "v_prediction"}))
        for spacing in ("leading", "linspace", "trailing"):
            cases.append((s, n, {"timestep_spacing": spacing}))
    cases.append((s, 10, {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}))
cases += [("pndm", 10, {"skip_prk_steps": False}), ("pndm", 25, {"skip_prk_steps": False}),
          ("pndm", 10, {"set_alpha_to_one": True}), ("ddim", 10, {"set_alpha_to_one": True})]

n_el = 4 * 8 * 8
sample0 = torch.arange(n_el).flip(-1).reshape(8, 8, 4, 1).permute(3, 2, 0, 1).float() / n_el  # (1,4,8,8)
loops, arrays = [], []
for name, steps, overrides in cases:
    cls, extra = CLASSES[name]
    # the dict the TypeScript side parses: it names its class when it sets class-specific keys
    config = {**SD14, **overrides, **({"_class_name": cls} if overrides else {})}
    sch = getattr(diffusers, cls).from_config({**config, **extra})
    sch.set_timesteps(steps)
    x = sample0 * sch.init_noise_sigma
    g = torch.Generator().manual_seed(0)
    for t in sch.timesteps:
        xi = sch.scale_model_input(x, t)
        eps = xi * t / (t + 1)
        kw = {"generator": g} if name == "euler_a" else {}
        x = sch.step(eps, t, x, **kw).prev_sample
    arr = x.numpy().astype(np.float32).reshape(-1)
    loops.append({"scheduler": name, "steps": steps, "config": config,
                  "timesteps": [float(t) for t in sch.timesteps], "init_noise_sigma": float(sch.init_noise_sigma),
                  "offset": len(arrays) * n_el, "length": n_el, "sum": float(arr.astype(np.float64).sum())})
    arrays.append(arr)
np.concatenate(arrays).tofile(os.path.join(HERE, "diffusers-loops.f32"))
with open(os.path.join(HERE, "diffusers-loops.json"), "w") as out:  # one loop per line
    out.write('{"note": %s,\n "sample0": "fixtures/refs/sched_sample0.f32 (1,4,8,8)",\n "loops": [\n' % json.dumps(__doc__.strip().splitlines()[0]))
    out.write(",\n".join("  " + json.dumps(loop, separators=(",", ":")) for loop in loops) + "\n]}\n")
print(len(loops), "loops")
