"""More AUTOMATIC1111 prompt references for shapes-sd (fixtures/a1111-prompts/extra/), beyond the public ones
(../shared/models/shapes-refs/a1111-prompts, made by ../shared/tools/make_a1111_refs.py over the torch checkpoint).

The algorithm (parse, chunks, "Original" emphasis, unequal-length CFG) is make_a1111_refs.py's, copied here
line for line; the tokenizer is transformers' CLIPTokenizer and the schedulers are diffusers'. Only the models
differ: the torch checkpoint is not on this machine, so text encoder, UNet and VAE decoder run as the fp32 ONNX
export of the same weights (public/models/shapes-sd-fp32) in Python's onnxruntime. `--check-public DIR` reruns the
public cases this way and prints the distance to the torch references (the README records it).

usage: PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_a1111_prompt_refs.py \
         public/models/shapes-sd-fp32 fixtures/a1111-prompts/extra [--check-public ../shared/models/shapes-refs/a1111-prompts]
"""
import json, os, re, sys
import numpy as np, torch, onnxruntime as ort
from transformers import CLIPTokenizer
from diffusers import PNDMScheduler, EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, DDIMScheduler, LMSDiscreteScheduler

# ---- make_a1111_refs.py, verbatim ------------------------------------------------------------------------------
re_attention = re.compile(r"""\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:([+-]?[.\d]+)\)|\)|]|[^\\()\[\]:]+|:""", re.X)
re_break = re.compile(r"\s*\bBREAK\b\s*", re.S)

def parse(text):
    res, rb, sb = [], [], []
    def mul(start, m):
        for p in range(start, len(res)): res[p][1] *= m
    for m in re_attention.finditer(text):
        t, w = m.group(0), m.group(1)
        if t.startswith('\\'): res.append([t[1:], 1.0])
        elif t == '(': rb.append(len(res))
        elif t == '[': sb.append(len(res))
        elif w is not None and rb: mul(rb.pop(), float(w))
        elif t == ')' and rb: mul(rb.pop(), 1.1)
        elif t == ']' and sb: mul(sb.pop(), 1 / 1.1)
        else:
            for i, part in enumerate(re.split(re_break, t)):
                if i > 0: res.append(["BREAK", -1])
                res.append([part, 1.0])
    for p in rb: mul(p, 1.1)
    for p in sb: mul(p, 1 / 1.1)
    if not res: res = [["", 1.0]]
    i = 0
    while i + 1 < len(res):
        if res[i][1] == res[i + 1][1]: res[i][0] += res[i + 1][0]; res.pop(i + 1)
        else: i += 1
    return res

MODEL, OUT = sys.argv[1], sys.argv[2]
CHECK = sys.argv[sys.argv.index("--check-public") + 1] if "--check-public" in sys.argv else None
tok = CLIPTokenizer.from_pretrained(os.path.join(MODEL, "tokenizer"))
BOS, EOS, COMMA, L, BACK = tok.bos_token_id, tok.eos_token_id, tok.get_vocab().get(',</w>'), 75, 20

def chunks_of(line):
    parsed = parse(line)
    ids = tok([t for t, _ in parsed], truncation=False, add_special_tokens=False)["input_ids"]
    chunks, cur_t, cur_m, last_comma = [], [], [], -1
    def nxt():
        nonlocal cur_t, cur_m, last_comma
        add = L - len(cur_t)
        cur_t = [BOS] + cur_t + [EOS] * add + [EOS]; cur_m = [1.0] + cur_m + [1.0] * add + [1.0]
        chunks.append((cur_t, cur_m)); cur_t, cur_m, last_comma = [], [], -1
    for toks, (text, w) in zip(ids, parsed):
        if text == "BREAK" and w == -1: nxt(); continue
        for token in toks:
            if token == COMMA: last_comma = len(cur_t)
            elif len(cur_t) == L and last_comma != -1 and len(cur_t) - last_comma <= BACK:
                b = last_comma + 1; rt, rm = cur_t[b:], cur_m[b:]; cur_t, cur_m = cur_t[:b], cur_m[:b]; nxt(); cur_t, cur_m = rt, rm
            if len(cur_t) == L: nxt()
            cur_t.append(token); cur_m.append(w)
    if cur_t or not chunks: nxt()
    return chunks

# ---- the models: onnxruntime instead of torch modules (same weights) ---------------------------------------------
so = ort.SessionOptions(); so.intra_op_num_threads = 2
sess = {p: ort.InferenceSession(os.path.join(MODEL, p, "model.onnx"), so, providers=["CPUExecutionProvider"]) for p in ("text_encoder", "unet", "vae_decoder")}
def te(ids): return torch.from_numpy(sess["text_encoder"].run(["last_hidden_state"], {"input_ids": ids.numpy().astype(np.int32)})[0])
def unet(x, t, encoder_hidden_states):
    ts = np.full((x.shape[0],), float(t), dtype=np.float32)
    return torch.from_numpy(sess["unet"].run(None, {"sample": x.numpy(), "timestep": ts, "encoder_hidden_states": encoder_hidden_states.numpy()})[0])
def vae_decode(z): return torch.from_numpy(sess["vae_decoder"].run(None, {"latent_sample": z.numpy()})[0])
SCALING = json.load(open(os.path.join(MODEL, "vae_decoder", "config.json"))).get("scaling_factor", 0.18215)

# ---- make_a1111_refs.py's encode and loop (te / unet / vae through the sessions above) ---------------------------
@torch.no_grad()
def encode(line):
    zs = []
    for t, m in chunks_of(line):
        z = te(torch.tensor([t]))
        orig = z.mean(); z = z * torch.tensor(m).reshape(1, -1, 1); z = z * (orig / z.mean()); zs.append(z)
    return torch.cat(zs, dim=1)

SCHED = {"pndm": PNDMScheduler, "euler_a": EulerAncestralDiscreteScheduler, "dpmpp_2m": DPMSolverMultistepScheduler,
         "euler": EulerDiscreteScheduler, "ddim": DDIMScheduler, "lms": LMSDiscreteScheduler}
@torch.no_grad()
def generate(prompt, negative, scheduler, steps, guidance, seed, spacing=None):
    base = PNDMScheduler.from_pretrained(MODEL, subfolder="scheduler")
    # spacing=None: make_a1111_refs.py's from_config (keeps the file's "leading", as the engine does since issue 11);
    # "linspace": the class default (what the engine gave these samplers before issue 11)
    sched = base if scheduler == "pndm" else SCHED[scheduler].from_config(base.config, **({"timestep_spacing": spacing} if spacing else {}))
    c, u = encode(prompt), encode(negative)
    g = torch.Generator().manual_seed(seed)
    lat = torch.randn((1, 4, 16, 16), generator=g) * 1.0
    sched.set_timesteps(steps); lat = lat * sched.init_noise_sigma
    for t in sched.timesteps:
        x = sched.scale_model_input(lat, t)
        if c.shape[1] == u.shape[1]:
            e = unet(torch.cat([x, x]), t, encoder_hidden_states=torch.cat([u, c])); eu, ec = e.chunk(2)
        else:
            eu = unet(x, t, encoder_hidden_states=u); ec = unet(x, t, encoder_hidden_states=c)
        kw = dict(generator=g) if scheduler == "euler_a" else {}
        lat = sched.step(eu + guidance * (ec - eu), t, lat, **kw).prev_sample
    img = (vae_decode(lat / SCALING) / 2 + 0.5).clamp(0, 1)
    return c, u, lat, img

# ---- the cases ------------------------------------------------------------------------------------------------
PARSE = [
    "", "BREAK", "BREAK a red circle", "a red circle BREAK", "a BREAK BREAK b", "aBREAK b", "a BREAKfast", "a\tBREAK\nb",
    "((a red circle))", "(((a) b) c)", "[[blue]]", "[(mixed)]", "([mixed])", "(a [b] c)", "(red:-0.5) circle", "(red:+2)", "(red:.5)",
    "(red:1.)", "(red:0)", "(red: 1.2)", "(red:1.2 )", "red:1.2)", "(a (b:1.5) c:0.8)", "((a:1.3):1.2)", "(a:1.2)(b:1.2)",
    r"\(not weighted\)", r"\[not\] \\ back", r"a \ b", r"(a \) b)", r"\\(a)", "(BREAK)", "a (b BREAK c) d",
    "rot: (Kreis:1.2), grün", "日本 (赤い:1.3) 円", "émoji 🙂 (🙂:1.4)", "(d:١.٥)", "unclosed [bracket", "closing ) only ] here",
    "a: b: c", "(a:b)", "(a:1.2:1.3)", "(a:1.2) ) ] (", "[a:1.5]", "(a]:1.2)",
]
COMMA_TEXT = lambda n: " ".join(["circle"] * n)
CHUNKS = [
    "", "a red circle", "BREAK", "BREAK a red circle", "a red circle BREAK", "a BREAK BREAK b", "(a red circle:1.3) BREAK [on a blue background]",
    # comma backtrack: the comma is the k-th token of a full chunk (75 tokens, then one more)
    COMMA_TEXT(54) + ", " + COMMA_TEXT(30),   # comma at index 54: 75 - 54 = 21 > 20: no backtrack
    COMMA_TEXT(55) + ", " + COMMA_TEXT(30),   # comma at index 55: 75 - 55 = 20: backtrack
    COMMA_TEXT(74) + ", " + COMMA_TEXT(5),    # comma is the 75th token: the chunk breaks after it
    COMMA_TEXT(75) + ", " + COMMA_TEXT(5),    # comma is the 76th token: starts chunk 2
    COMMA_TEXT(73) + ", (circle:1.2), circle", # weighted token moves with the backtrack
    COMMA_TEXT(150), COMMA_TEXT(75), COMMA_TEXT(76),
    ", ".join(["a red circle on a blue background"] * 12) + ", a green square",
]
LONG_NEG = ", ".join(["a yellow triangle on a white background"] * 11) + ", a black star on the left"
COMMA_75 = ", ".join(["a red circle"] * 18) + " on a blue background, a green square on a white background"
CASES = [
    dict(id="long_negative", prompt="a (blue:1.2) cross on a yellow background", negative_prompt=LONG_NEG, scheduler="pndm", steps=20, guidance=7.5, seed=3),
    dict(id="break_edges", prompt="BREAK a red circle BREAK on a blue background BREAK", negative_prompt="", scheduler="lms", steps=15, guidance=7.5, seed=4),
    dict(id="nested_euler_a", prompt="a ((purple:1.3) star:0.9) on an [[orange]] background, (sharp)", negative_prompt="(blurry:-0.5)", scheduler="euler_a", steps=15, guidance=6.0, seed=5),
    dict(id="comma_backtrack", prompt=COMMA_75, negative_prompt=LONG_NEG, scheduler="dpmpp_2m", steps=12, guidance=7.0, seed=6),
]
ENCODE = ["", r"a \(red\) circle on a [blue:1.2] background", "日本 (赤い:1.3) 円", "BREAK",
          "(red:0) circle", "(((((((red))))))) circle"]

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    man = dict(model="shapes-sd (public/models/shapes-sd-fp32, onnxruntime " + ort.__version__ + ")", torch=torch.__version__,
               note="make_a1111_refs.py's algorithm; text encoder / UNet / VAE via onnxruntime on the fp32 ONNX export",
               parse=[dict(prompt=p, fragments=parse(p)) for p in PARSE],
               chunks=[dict(prompt=p, chunks=[dict(ids=t, weights=m) for t, m in chunks_of(p)]) for p in CHUNKS],
               encode=[], cases=[])
    for i, p in enumerate(ENCODE):
        try: z = encode(p)
        except ValueError: z = None  # A1111 raises on a weight that is not a number; those prompts are tested elsewhere
        if z is None: continue
        z.numpy().astype(np.float32).tofile(os.path.join(OUT, f"enc_{i}.f32")); man["encode"].append(dict(prompt=p, shape=list(z.shape), file=f"enc_{i}.f32"))
    for c in CASES:
        cond, unc, lat, img = generate(c["prompt"], c["negative_prompt"], c["scheduler"], c["steps"], c["guidance"], c["seed"], c.get("spacing"))
        for name, arr in (("cond", cond), ("uncond", unc), ("lat", lat), ("img", img)):
            arr.numpy().astype(np.float32).tofile(os.path.join(OUT, f"{name}_{c['id']}.f32"))
        e = dict(c); e.update(cond_shape=list(cond.shape), uncond_shape=list(unc.shape), cond=f"cond_{c['id']}.f32", uncond=f"uncond_{c['id']}.f32",
                              latents=f"lat_{c['id']}.f32", image=f"img_{c['id']}.f32")
        man["cases"].append(e); print(c["id"], e["cond_shape"], e["uncond_shape"], float(img.mean()), flush=True)
    # torch's float32 sum (the emphasis divides by means of ~1e-5, so the engine sums in torch's order)
    rng = np.random.default_rng(15); man["sums"] = []
    for n in (37, 1000, 4928, 9856):
        x = (rng.standard_normal(n) * 0.7 + 1e-3).astype(np.float32); x.tofile(os.path.join(OUT, f"sum_{n}.f32"))
        man["sums"].append(dict(n=n, file=f"sum_{n}.f32", sum=torch.from_numpy(x).sum().item(), mean=torch.from_numpy(x).mean().item()))
    json.dump(man, open(os.path.join(OUT, "manifest.json"), "w"), indent=1, ensure_ascii=False)
    if CHECK:
        pub = json.load(open(os.path.join(CHECK, "manifest.json")))
        for p in pub["parse"]: assert parse(p["prompt"]) == p["fragments"], p["prompt"]
        for c in pub["cases"]:
            cond, unc, lat, img = generate(c["prompt"], c["negative_prompt"], c["scheduler"], c["steps"], c["guidance"], c["seed"])
            ref = lambda k: np.fromfile(os.path.join(CHECK, c[k]), dtype=np.float32)
            rl2 = float(np.linalg.norm(lat.numpy().ravel() - ref("latents")) / np.linalg.norm(ref("latents")))
            print(f"check {c['id']}: cond max abs {np.abs(cond.numpy().ravel() - ref('cond')).max():.2e}, uncond {np.abs(unc.numpy().ravel() - ref('uncond')).max():.2e}, "
                  f"latents rel L2 {rl2:.2e}, image max abs {np.abs(img.numpy().ravel() - ref('image')).max():.2e}", flush=True)
