"""Reference data for the safety checker (issue 23), made with diffusers and transformers:

1. `preprocess.json`: CLIPImageProcessor (PIL backend: resize of the shortest edge with PIL's bicubic,
   centre crop, 1/255, CLIP mean/std) on synthetic uint8 pictures made by mulberry32 (the same
   generator as src/testing/mulberry32.ts, so the test remakes the inputs instead of reading them):
   non-square, 128x128 (upscales), 512x512 (downscales), odd sizes. Per picture: the SHA-256 of the
   resized + cropped uint8 picture (PIL's arithmetic, before rescale), the sum of pixel_values (float64
   of the float32 values) and pixel_values at 1024 strided positions (shortest float32 decimals).
2. A tiny random `StableDiffusionSafetyChecker` (small CLIPVisionConfig) whose concept and special-care
   embeddings and thresholds are set from the tiny-sd pictures of the cases below, so that some are
   flagged and some not, with margins far above preprocessing noise: one flagged by a concept, one only
   through the special-care +0.01 adjustment, one 0.005 under a threshold without special care (kept),
   one with special care but no concept (kept), others far from every threshold.
   Exported as diffusers' convert_stable_diffusion_checkpoint_to_onnx.py does (forward_onnx, inputs
   clip_input / images, outputs out_images / has_nsfw_concepts, dynamic axes, opset 14) into
   `safety_checker/model.onnx`, with `feature_extractor/preprocessor_config.json` and a model_index.json
   listing both: overlay these on fixtures/tiny-sd-fp32 to get a model folder with a safety checker.
3. `cases.json`: diffusers' StableDiffusionPipeline (torch fp32 CPU; tiny-sd weights from
   tools/make_tiny_checkpoint.py's build_tiny) with that safety checker, from a seed: per case
   `nsfw_content_detected`, the checker's cosine scores (for the margins), and the unflagged pictures as
   float32 NCHW [0, 1] (output_type="np").

  PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_safety_refs.py fixtures/safety
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tiny_checkpoint import SCHEDULER, build_tiny  # noqa: E402

torch.set_num_threads(1)
FIXTURE = os.path.join(HERE, "..", "fixtures", "tiny-sd-fp32")
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
# SD v1.4's feature_extractor/preprocessor_config.json (CompVis/stable-diffusion-v1-4), verbatim values.
PREPROCESSOR_CONFIG = {
    "crop_size": 224, "do_center_crop": True, "do_convert_rgb": True, "do_normalize": True, "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
    "resample": 3, "size": 224,
}
PICTURES = [  # (width, height, seed)
    (128, 128, 1), (200, 300, 2), (300, 200, 3), (512, 512, 4), (97, 131, 5), (225, 223, 6), (640, 360, 7),
]
CASES = [  # tiny-sd, 128x128, ddim
    dict(id="c0", prompt="a red circle on a blue background", negative_prompt="", scheduler="ddim", steps=5, guidance=7.5, seed=0),
    dict(id="c1", prompt="a yellow star at the top", negative_prompt="", scheduler="ddim", steps=5, guidance=7.5, seed=1),
    dict(id="c2", prompt="a purple cross", negative_prompt="", scheduler="ddim", steps=5, guidance=7.5, seed=2),
    dict(id="c3", prompt="a green triangle", negative_prompt="", scheduler="ddim", steps=5, guidance=7.5, seed=3),
    dict(id="c4", prompt="two blue squares", negative_prompt="", scheduler="ddim", steps=5, guidance=7.5, seed=4),
    dict(id="c5", prompt="an orange ring", negative_prompt="", scheduler="ddim", steps=5, guidance=7.5, seed=5),
]


def mulberry32(seed):
    a = seed & 0xFFFFFFFF

    def imul(x, y):
        return (x * y) & 0xFFFFFFFF

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    return nxt


def picture(width, height, seed):
    """(H, W, 3) uint8: floor(mulberry32 * 256), row-major, RGB interleaved (src/safety test remakes it)."""
    rand = mulberry32(seed)
    return np.array([int(rand() * 256) for _ in range(width * height * 3)], dtype=np.uint8).reshape(height, width, 3)


def processor():
    from transformers import CLIPImageProcessor
    return CLIPImageProcessor(**{k: v for k, v in PREPROCESSOR_CONFIG.items() if k != "feature_extractor_type"})


def preprocess_refs(out):
    from PIL import Image
    proc = processor()
    entries = []
    for width, height, seed in PICTURES:
        pixels = picture(width, height, seed)
        values = proc(Image.fromarray(pixels), return_tensors="np").pixel_values[0].astype(np.float32)  # (3, 224, 224)
        # PIL's uint8 result before rescale: the same resize and crop the processor does.
        scale = 224 / min(width, height)
        new = (224, int(224 * height / width)) if width <= height else (int(224 * width / height), 224)
        resized = np.asarray(Image.fromarray(pixels).resize(new, resample=3)) if new != (width, height) else pixels
        top, left = (resized.shape[0] - 224) // 2, (resized.shape[1] - 224) // 2
        crop = np.ascontiguousarray(resized[top:top + 224, left:left + 224])
        check = ((crop.astype(np.float64) * (1 / 255)).astype(np.float32) - np.array(CLIP_MEAN, np.float32)) / np.array(CLIP_STD, np.float32)
        assert np.array_equal(check.transpose(2, 0, 1), values), "crop does not reproduce pixel_values"
        flat = values.reshape(-1)
        stride = flat.size // 1024
        entries.append(dict(width=width, height=height, seed=seed, resized=[new[0], new[1]], scale=scale,
                            crop_sha256=hashlib.sha256(crop.tobytes()).hexdigest(), sum=float(flat.astype(np.float64).sum()),
                            stride=stride, samples=[float(str(v)) for v in flat[::stride][:1024]]))
        print("picture", width, height, "->", new, "sum", entries[-1]["sum"])
    with open(os.path.join(out, "preprocess.json"), "w") as f:
        json.dump(dict(config=PREPROCESSOR_CONFIG, source="transformers CLIPImageProcessor (PIL backend), Pillow " + __import__("PIL").__version__,
                       command="PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_safety_refs.py fixtures/safety",
                       pictures=entries), f)


def tiny_checker():
    from transformers import CLIPConfig
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    config = CLIPConfig(
        text_config=dict(hidden_size=16, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2, vocab_size=100),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=224, patch_size=32),
        projection_dim=16,
    )
    torch.manual_seed(42)
    checker = StableDiffusionSafetyChecker(config).eval()
    with torch.no_grad():
        g = torch.Generator().manual_seed(43)
        for p in checker.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
    return checker


def image_embeds(checker, images_np):
    """Normalised image embeddings of pipeline pictures (B, H, W, 3) in [0, 1], as run_safety_checker preprocesses them."""
    from diffusers.image_processor import VaeImageProcessor
    pil = VaeImageProcessor.numpy_to_pil(images_np)
    clip = processor()(pil, return_tensors="pt").pixel_values
    with torch.no_grad():
        e = checker.visual_projection(checker.vision_model(clip)[1])
    return torch.nn.functional.normalize(e).numpy().astype(np.float64)


def design(checker, embeds):
    """Concept / special-care embeddings and thresholds: c0 flagged (+0.02), c1 special care + concept at -0.005
    (flagged by the +0.01 adjustment), c2 concept at -0.005 without special care (kept), c3 special care alone
    (kept), c4 and c5 far from every threshold. Special-care scores +0.02; every other score under -0.02."""
    n = embeds.shape[0]
    dim = embeds.shape[1]
    g = torch.Generator().manual_seed(44)
    concepts = torch.randn(17, dim, generator=g).numpy().astype(np.float64)
    specials = torch.randn(3, dim, generator=g).numpy().astype(np.float64)
    def apart(i):  # the part of picture i's embedding orthogonal to every other picture's: cosine 0 with them
        others = np.delete(embeds, i, axis=0)
        q, _ = np.linalg.qr(others.T)
        return embeds[i] - q @ (q.T @ embeds[i])
    concepts[0], concepts[1], concepts[2] = apart(0), apart(1), apart(2)
    specials[0], specials[1] = apart(1), apart(3)
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    cos_c = embeds @ unit(concepts).T  # (n, 17)
    cos_s = embeds @ unit(specials).T  # (n, 3)
    t_c = cos_c.max(0) + 0.05
    t_s = cos_s.max(0) + 0.05
    t_c[0] = cos_c[0, 0] - 0.02
    t_c[1] = cos_c[1, 1] + 0.005
    t_c[2] = cos_c[2, 2] + 0.005
    t_s[0] = cos_s[1, 0] - 0.02
    t_s[1] = cos_s[3, 1] - 0.02
    print('designed cosines', cos_c[0, 0], cos_c[1, 1], cos_c[2, 2], cos_s[1, 0], cos_s[3, 1])
    special = cos_s - t_s
    concept = cos_c - t_c + 0.01 * (special > 0).any(1, keepdims=True)
    designed = {(0, 0), (1, 1), (2, 2)}
    for i in range(n):
        for j in range(17):
            if (i, j) not in designed and concept[i, j] > -0.02:
                raise SystemExit(f"margin too small: image {i} concept {j} score {concept[i, j]:.4f}")
        for j in range(3):
            if (i, j) not in {(1, 0), (3, 1)} and special[i, j] > -0.02:
                raise SystemExit(f"margin too small: image {i} special {j} score {special[i, j]:.4f}")
    with torch.no_grad():
        checker.concept_embeds.copy_(torch.from_numpy(concepts).float())
        checker.special_care_embeds.copy_(torch.from_numpy(specials).float())
        checker.concept_embeds_weights.copy_(torch.from_numpy(t_c).float())
        checker.special_care_embeds_weights.copy_(torch.from_numpy(t_s).float())


def export_onnx(checker, out):
    """As convert_stable_diffusion_checkpoint_to_onnx.py: forward = forward_onnx, the same names, axes and opset."""
    import copy
    model = copy.deepcopy(checker)
    model.forward = model.forward_onnx
    os.makedirs(os.path.join(out, "safety_checker"), exist_ok=True)
    size = model.config.vision_config.image_size
    torch.onnx.export(
        model, (torch.randn(1, 3, size, size), torch.randn(1, 128, 128, 3)), os.path.join(out, "safety_checker", "model.onnx"),
        input_names=["clip_input", "images"], output_names=["out_images", "has_nsfw_concepts"],
        dynamic_axes={"clip_input": {0: "batch", 1: "channels", 2: "height", 3: "width"}, "images": {0: "batch", 1: "height", 2: "width", 3: "channels"}},
        do_constant_folding=True, opset_version=14, dynamo=False,
    )
    model.config.save_pretrained(os.path.join(out, "safety_checker"))
    os.makedirs(os.path.join(out, "feature_extractor"), exist_ok=True)
    with open(os.path.join(out, "feature_extractor", "preprocessor_config.json"), "w") as f:
        json.dump(PREPROCESSOR_CONFIG, f, indent=2)
    with open(os.path.join(FIXTURE, "model_index.json")) as f:
        index = json.load(f)
    index.update(safety_checker=["diffusers", "OnnxRuntimeModel"], feature_extractor=["transformers", "CLIPImageProcessor"], requires_safety_checker=True)
    with open(os.path.join(out, "model_index.json"), "w") as f:
        json.dump(index, f, indent=2)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    preprocess_refs(out)
    import diffusers
    from diffusers import StableDiffusionPipeline
    from transformers import CLIPTokenizer
    with open(os.path.join(FIXTURE, "tiny_config.json")) as f:
        config = json.load(f)
    unet, vae, text_encoder = build_tiny(config)
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))
    checker = tiny_checker()

    def pipe_with(safety):
        p = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                    scheduler=diffusers.DDIMScheduler.from_config(SCHEDULER), safety_checker=safety,
                                    feature_extractor=processor() if safety is not None else None, requires_safety_checker=safety is not None)
        p.set_progress_bar_config(disable=True)
        return p

    def run(p, case):
        with torch.no_grad():
            return p(case["prompt"], negative_prompt=case["negative_prompt"] or None, height=128, width=128,
                     num_inference_steps=case["steps"], guidance_scale=case["guidance"],
                     generator=torch.Generator().manual_seed(case["seed"]), output_type="np")

    plain = np.concatenate([run(pipe_with(None), c).images for c in CASES])
    design(checker, image_embeds(checker, plain))
    export_onnx(checker, out)
    pipe = pipe_with(checker)
    embeds = image_embeds(checker, plain)
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    cases = []
    for i, case in enumerate(CASES):
        result = run(pipe, case)
        flagged = bool(result.nsfw_content_detected[0])
        entry = dict(case, nsfw_content_detected=flagged,
                     special_scores=(embeds[i] @ unit(checker.special_care_embeds.numpy().astype(np.float64)).T - checker.special_care_embeds_weights.numpy()).round(4).tolist(),
                     concept_scores=(embeds[i] @ unit(checker.concept_embeds.numpy().astype(np.float64)).T - checker.concept_embeds_weights.numpy()).round(4).tolist())
        if flagged:
            assert float(np.abs(result.images).max()) == 0.0
        else:
            image = np.ascontiguousarray(np.transpose(result.images, (0, 3, 1, 2)), dtype=np.float32)
            assert np.array_equal(image, np.transpose(plain[i:i + 1], (0, 3, 1, 2)))
            image.tofile(os.path.join(out, f"{case['id']}_image.f32"))
            entry["image"] = dict(file=f"{case['id']}_image.f32", shape=list(image.shape))
        cases.append(entry)
        print(case["id"], "nsfw", flagged)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(dict(source="diffusers StableDiffusionPipeline " + diffusers.__version__ + ", torch " + torch.__version__ + " fp32 CPU; tiny-sd (build_tiny) + tiny StableDiffusionSafetyChecker",
                       command="PYTHONPATH=/work/diffusers/src /work/venv/bin/python tools/make_safety_refs.py fixtures/safety",
                       cases=cases), f, indent=1)


if __name__ == "__main__":
    main()
