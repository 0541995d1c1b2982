# The progress-bar updates of diffusers pipelines (StableDiffusionPipeline / Img2Img / Inpaint __call__) per
# scheduler, steps and strength: the reference for progress.test.ts. Run from the repository root:
#   PYTHONPATH=/work/diffusers/src /work/venv/bin/python src/core/schedulers/testdata/print_diffusers_progress.py
from diffusers import PNDMScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler, KDPM2DiscreteScheduler, DDIMScheduler, DPMSolverMultistepScheduler
cfg=dict(beta_start=0.00085,beta_end=0.012,beta_schedule="scaled_linear",num_train_timesteps=1000,skip_prk_steps=True,set_alpha_to_one=False,steps_offset=1)
for cls in [PNDMScheduler,EulerDiscreteScheduler,HeunDiscreteScheduler,KDPM2DiscreteScheduler,DDIMScheduler]:
  s=cls.from_config(cfg)
  for N,strength in [(20,1.0),(10,1.0),(20,0.75),(10,0.5),(1,1.0),(2,1.0),(7,0.3)]:
    s.set_timesteps(N)
    init=min(int(N*strength),N); t_start=max(N-init,0)
    ts=s.timesteps[t_start*s.order:]; n=N-t_start
    warm=len(ts)-n*s.order
    upd=[i for i in range(len(ts)) if i==len(ts)-1 or ((i+1)>warm and (i+1)%s.order==0)]
    print(cls.__name__,N,strength,"calls",len(ts),"total",n,"updates",len(upd),"at",upd)
