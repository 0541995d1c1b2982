"""Reference loops for few-step sampling (LCM, TCD, DDIM eta, every timestep spacing), computed by diffusers itself.

Replays the scheduler-only loop of make_diffusers_loops.py (dummy denoiser eps = x_in * t / (t + 1), x = sample0 *
init_noise_sigma) with one torch.Generator().manual_seed(0) passed to every `step` that takes it, and `eta` passed to
every `step` that takes it, as StableDiffusionPipeline's prepare_extra_step_kwargs does. The scheduler is made the
way the engine makes it: `Class.from_config(<the model's scheduler_config.json>, timestep_spacing=...)` (a per-request
spacing override), the file being tiny-sd-fp32's (SD v1.4's PNDM settings) or an LCM-distilled model's own file.
Cases: lcm and tcd (eta 0 / 0.3 / 0.5 / 1) at 1, 2, 4, 8 steps; ddim at eta 0.3 / 1 for each spacing; every scheduler
x each spacing override at 1, 2, 4, 8 steps (cases diffusers itself rejects are left out and listed in `rejected`);
and a mid-schedule start (img2img, strength 0.5 of 4 / 8 steps: set_begin_index(t_start), x = add_noise(x0, noise,
timesteps[t_start]) with noise the generator's first draw) for lcm, tcd and ddim with eta.
`draws` says whether the generator was advanced by the loop (the TypeScript test then passes its TorchGenerator).

Run (numbers here came from diffusers 0.40.0.dev0 (/work/diffusers), torch 2.13.0 CPU):
    PYTHONPATH=/path/to/diffusers/src python make_diffusers_fewstep.py   # writes diffusers-fewstep.{json,f32}
"""
import inspect, json, os
import numpy as np, torch, diffusers

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
TINY = json.load(open(os.path.join(HERE, "../../../../fixtures/tiny-sd-fp32/scheduler/scheduler_config.json")))
# an LCM-distilled model's own file (SimianLuo/LCM_Dreamshaper_v7's scheduler_config.json keys)
LCM_FILE = {"_class_name": "LCMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
            "clip_sample": False, "clip_sample_range": 1.0, "num_train_timesteps": 1000, "original_inference_steps": 50,
            "prediction_type": "epsilon", "set_alpha_to_one": True, "steps_offset": 1, "timestep_scaling": 10.0,
            "timestep_spacing": "leading", "trained_betas": None}
CLASSES = {
    "pndm": ("PNDMScheduler", {}), "ddim": ("DDIMScheduler", {}), "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}), "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}), "dpmpp_2m": ("DPMSolverMultistepScheduler", {}),
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "unipc": ("UniPCMultistepScheduler", {}), "lcm": ("LCMScheduler", {}), "tcd": ("TCDScheduler", {}),
}
STEPS = (1, 2, 4, 8)
SPACINGS = ("leading", "linspace", "trailing")

cases = []  # (scheduler, steps, file, spacing or None, eta, begin strength or None)
for n in STEPS:
    cases += [("lcm", n, "tiny", None, 0.0, None), ("lcm", n, "lcm", None, 0.0, None)]
    cases += [("tcd", n, "tiny", None, eta, None) for eta in (0.0, 0.3, 0.5, 1.0)]
    cases += [("ddim", n, "tiny", sp, eta, None) for sp in SPACINGS for eta in (0.3, 1.0)]
    cases += [(name, n, "tiny", sp, 0.0, None) for name in CLASSES for sp in SPACINGS]
cases += [(name, n, "tiny", None, eta, 0.5) for n in (4, 8) for name, eta in (("lcm", 0.0), ("tcd", 0.3), ("ddim", 0.5))]
cases += [("lcm", 4, "lcm", None, 0.0, 0.5)]

n_el = 4 * 8 * 8
sample0 = torch.arange(n_el).flip(-1).reshape(8, 8, 4, 1).permute(3, 2, 0, 1).float() / n_el  # as make_diffusers_loops.py
x0 = sample0 * 2 - 1
loops, arrays, rejected = [], [], []
for name, steps, file, spacing, eta, strength in cases:
    cls, extra = CLASSES[name]
    config = TINY if file == "tiny" else LCM_FILE
    kwargs = {**extra, **({"timestep_spacing": spacing} if spacing else {})}
    sch = getattr(diffusers, cls).from_config(config, **kwargs)
    g = torch.Generator().manual_seed(0)
    params = inspect.signature(sch.step).parameters
    step_kw = {**({"generator": g} if "generator" in params else {}), **({"eta": eta} if "eta" in params else {})}
    try:
        sch.set_timesteps(steps)
        timesteps = sch.timesteps
        begin = None
        if strength is None:
            x = sample0 * sch.init_noise_sigma
        else:
            init_timestep = min(int(steps * strength), steps)
            begin = max(steps - init_timestep, 0) * sch.order
            timesteps = timesteps[begin:]
            if hasattr(sch, "set_begin_index"):
                sch.set_begin_index(begin)
            noise = torch.randn((1, 4, 8, 8), generator=g)
            x = sch.add_noise(x0, noise, timesteps[:1])
        state = g.get_state().clone()
        for t in timesteps:
            xi = sch.scale_model_input(x, t)
            eps = xi * t / (t + 1)
            x = sch.step(eps, t, x, **step_kw).prev_sample
        draws = not torch.equal(state, g.get_state())
    except Exception as e:  # diffusers' own refusal (e.g. a spacing that gives a timestep out of range)
        rejected.append({"scheduler": name, "steps": steps, "spacing": spacing, "error": f"{type(e).__name__}: {e}"[:200]})
        continue
    arr = x.numpy().astype(np.float32).reshape(-1)
    if not np.isfinite(arr).all():
        rejected.append({"scheduler": name, "steps": steps, "spacing": spacing, "error": "non-finite result"})
        continue
    loops.append({"scheduler": name, "steps": steps, "file": file, "spacing": spacing, "eta": eta, "strength": strength,
                  "begin": begin, "timesteps": [float(t) for t in sch.timesteps], "init_noise_sigma": float(sch.init_noise_sigma),
                  "draws": draws, "offset": len(arrays) * n_el, "length": n_el})
    arrays.append(arr)
np.concatenate(arrays).tofile(os.path.join(HERE, "diffusers-fewstep.f32"))
with open(os.path.join(HERE, "diffusers-fewstep.json"), "w") as out:  # one loop per line
    out.write('{"note": %s,\n "sample0": "fixtures/refs/sched_sample0.f32 (1,4,8,8)",\n "files": %s,\n "rejected": %s,\n "loops": [\n'
              % (json.dumps(__doc__.strip().splitlines()[0]), json.dumps({"tiny": "fixtures/tiny-sd-fp32/scheduler/scheduler_config.json", "lcm": LCM_FILE}),
                 json.dumps(rejected)))
    out.write(",\n".join("  " + json.dumps(loop, separators=(",", ":")) for loop in loops) + "\n]}\n")
print(len(loops), "loops,", len(rejected), "rejected")
for r in rejected: print(r)
