"""Reference values for add_noise and mid-schedule starts (img2img / inpainting), computed by diffusers itself.

For every scheduler, 10 and 25 steps, strengths 0.3 / 0.5 / 0.75 / 1.0, with SD v1.4's settings, this replays
what StableDiffusionImg2ImgPipeline and StableDiffusionInpaintPipeline (4-channel UNet) do around the model:
  init_timestep = min(int(N * strength), N); t_start = max(N - init_timestep, 0)
  timesteps = scheduler.timesteps[t_start * order:]; scheduler.set_begin_index(t_start * order) where it exists
  noise = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(seed))   (the generator's first draw)
  start = scheduler.add_noise(x0, noise, timesteps[:1])                                 (img2img, every strength)
  img2img loop: x = start; x = step(eps(scale_model_input(x, t), t), t, x)           (euler_a: same generator)
  inpaint loop: x = noise * init_noise_sigma if strength == 1 else start (fresh scheduler, same generator rule);
                after step i: keep = add_noise(x0, noise, [timesteps[i + 1]]) (x0 on the last step),
                x = (1 - mask) * keep + mask * x
The dummy model is eps = x_in * t / (t + 1) + 0.05 * roll(x_in, 1, -1): not element-wise, so the kept cells (and
therefore every intermediate add_noise value) flow into the repainted ones and the final x depends on all of them.
Stored: `start`, `img2img` final x, `inpaint` final x (each (1, 4, 8, 8) float32, at `offset` in the .f32 file),
`timesteps` (the sliced schedule), `begin_index`, `init_noise_sigma`, and `keep_sums` (float64 sum of each
intermediate add_noise value in the inpaint loop) for a per-step check.

Run (needs torch and diffusers importable; numbers here came from diffusers 0.40.0.dev0 (/work/diffusers),
torch 2.13.0 CPU):
    PYTHONPATH=/path/to/diffusers/src python make_diffusers_add_noise.py   # writes diffusers-add-noise.{json,f32}
"""
import json, os
import numpy as np, torch, diffusers

HERE = os.path.dirname(os.path.abspath(__file__))
SD14 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1, clip_sample=False, trained_betas=None)
CLASSES = {
    "pndm": ("PNDMScheduler", {}), "ddim": ("DDIMScheduler", {}), "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}), "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}), "dpmpp_2m": ("DPMSolverMultistepScheduler", {}),
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "unipc": ("UniPCMultistepScheduler", {}),
}
n_el = 4 * 8 * 8
sample0 = torch.arange(n_el).flip(-1).reshape(8, 8, 4, 1).permute(3, 2, 0, 1).float() / n_el  # (1,4,8,8), as make_diffusers_loops.py
x0 = sample0 * 2 - 1                                     # "image latents"
mask = torch.zeros(1, 1, 8, 8); mask[..., :, :5] = 1     # repaint the 5 left columns

def eps_of(x_in, t):
    return x_in * t / (t + 1) + 0.05 * torch.roll(x_in, 1, -1)

def make(name):
    cls, extra = CLASSES[name]
    return getattr(diffusers, cls).from_config({**SD14, **extra})

def prepare(name, steps, strength):
    sch = make(name)
    sch.set_timesteps(steps)
    init_timestep = min(int(steps * strength), steps)
    t_start = max(steps - init_timestep, 0)
    timesteps = sch.timesteps[t_start * sch.order:]
    begin = None
    if hasattr(sch, "set_begin_index"):
        begin = t_start * sch.order
        sch.set_begin_index(begin)
    return sch, timesteps, begin

cases, arrays = [], []
for name in CLASSES:
    for steps in (10, 25):
        for strength in (0.3, 0.5, 0.75, 1.0):
            seed = len(cases)
            # img2img
            sch, timesteps, begin = prepare(name, steps, strength)
            g = torch.Generator().manual_seed(seed)
            noise = torch.randn((1, 4, 8, 8), generator=g)
            start = sch.add_noise(x0, noise, timesteps[:1])
            x = start
            for t in timesteps:
                kw = {"generator": g} if name == "euler_a" else {}
                x = sch.step(eps_of(sch.scale_model_input(x, t), t), t, x, **kw).prev_sample
            img2img = x
            # inpainting
            sch, timesteps, _ = prepare(name, steps, strength)
            g = torch.Generator().manual_seed(seed)
            noise = torch.randn((1, 4, 8, 8), generator=g)
            x = noise * sch.init_noise_sigma if strength == 1.0 else sch.add_noise(x0, noise, timesteps[:1])
            keep_sums = []
            for i, t in enumerate(timesteps):
                kw = {"generator": g} if name == "euler_a" else {}
                x = sch.step(eps_of(sch.scale_model_input(x, t), t), t, x, **kw).prev_sample
                keep = x0
                if i < len(timesteps) - 1:
                    keep = sch.add_noise(x0, noise, torch.tensor([timesteps[i + 1]]))
                    keep_sums.append(float(keep.double().sum()))
                x = (1 - mask) * keep + mask * x
            inpaint = x
            offset = len(arrays) * n_el
            for a in (start, img2img, inpaint):
                arrays.append(a.numpy().astype(np.float32).reshape(-1))
            cases.append({"scheduler": name, "steps": steps, "strength": strength, "seed": seed,
                          "timesteps": [float(t) for t in timesteps], "begin_index": begin,
                          "init_noise_sigma": float(sch.init_noise_sigma), "keep_sums": keep_sums,
                          "start": offset, "img2img": offset + n_el, "inpaint": offset + 2 * n_el})
np.concatenate(arrays).tofile(os.path.join(HERE, "diffusers-add-noise.f32"))
with open(os.path.join(HERE, "diffusers-add-noise.json"), "w") as out:  # one case per line
    out.write('{"note": %s,\n "x0": "sample0 * 2 - 1 (see make_diffusers_loops.py), (1,4,8,8)",\n "mask": "1 on columns 0-4 of 8",\n "length": %d,\n "cases": [\n'
              % (json.dumps(__doc__.strip().splitlines()[0]), n_el))
    out.write(",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases) + "\n]}\n")
print(len(cases), "cases")
