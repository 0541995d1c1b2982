"""A tiny random StableDiffusionSafetyChecker (diffusers' safety_checker.py; a small CLIP vision tower) put into
a copy of a tiny checkpoint, with its concept embeddings and thresholds set so that some of the checkpoint's
own pictures are flagged and some not, with a margin: concept 0 points along the first principal direction of
the pictures' image embeddings and special-care concept 0 along the second, each threshold in the middle of
the widest gap between the pictures' cosines; the other concepts have threshold 1.5, which a cosine never
passes. Also writes feature_extractor/preprocessor_config.json (CLIPImageProcessor's defaults as it saves
them) and lists both in model_index.json. Then runs diffusers' StableDiffusionPipeline with the checker on the
pictures' prompts and seeds and prints each decision and its score margin (the smallest |concept score|).

  PYTHONPATH=/work/diffusers/src python3 tools/make_tiny_checkpoint.py /tmp/tiny
  PYTHONPATH=/work/diffusers/src python3 tools/make_tiny_safety_checker.py /tmp/tiny /tmp/tiny-safety
"""
import argparse
import json
import os
import shutil

PROMPTS = ["a red circle", "a blue square", "a cat", "a landscape at night"]
SEEDS = [0, 1, 2]
NEVER = 1.5  # a threshold no cosine reaches


def tiny_checker(seed, projection_dim=32):
    """A random StableDiffusionSafetyChecker: CLIP vision tower of 2 layers, width 32, 224 px input, 32 px patches."""
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
    config = CLIPConfig(
        text_config=CLIPTextConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4).to_dict(),
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                                       image_size=224, patch_size=32).to_dict(),
        projection_dim=projection_dim)
    torch.manual_seed(seed)
    return StableDiffusionSafetyChecker(config).eval()


def pipeline_pictures(checkpoint, prompts, seeds, steps):
    """The checkpoint's pictures (StableDiffusionPipeline, no checker) as PIL images, as the pipeline gives them
    to its checker (numpy_to_pil rounds), with their (prompt, seed)."""
    import torch
    from diffusers import StableDiffusionPipeline
    pipe = StableDiffusionPipeline.from_pretrained(checkpoint, safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    pictures, keys = [], []
    for prompt in prompts:
        for seed in seeds:
            image = pipe(prompt, num_inference_steps=steps, generator=torch.Generator().manual_seed(seed), output_type="np").images
            pictures += pipe.image_processor.numpy_to_pil(image)
            keys.append((prompt, seed))
    return pictures, keys


def image_embeds(checker, clip_input):
    """The checker's normalised image embeddings (as cosine_distance normalises them)."""
    import torch
    with torch.no_grad():
        embeds = checker.visual_projection(checker.vision_model(clip_input)[1])
    return torch.nn.functional.normalize(embeds)


def split(values):
    """The threshold in the middle of the widest gap between sorted values, and half that gap (the margin)."""
    ordered = sorted(values)
    gap, i = max((ordered[i + 1] - ordered[i], i) for i in range(len(ordered) - 1))
    return (ordered[i] + ordered[i + 1]) / 2, gap / 2


def set_concepts(checker, embeds, seed):
    """Concept 0 along the embeddings' first principal direction, special-care 0 along the second, thresholds
    in the widest gaps; every other concept random with a threshold no cosine reaches. Returns the margins."""
    import torch
    centred = embeds - embeds.mean(0)
    directions = torch.linalg.svd(centred, full_matrices=False).Vh
    generator = torch.Generator().manual_seed(seed + 1)
    dim = embeds.shape[1]
    concepts = torch.nn.functional.normalize(torch.randn(17, dim, generator=generator))
    special = torch.nn.functional.normalize(torch.randn(3, dim, generator=generator))
    concepts[0], special[0] = directions[0], directions[1]
    concept_weights, special_weights = torch.full((17,), NEVER), torch.full((3,), NEVER)
    special_weights[0], special_margin = split((embeds @ special[0]).tolist())
    concept_weights[0], concept_margin = split((embeds @ concepts[0]).tolist())
    with torch.no_grad():
        checker.concept_embeds.copy_(concepts)
        checker.special_care_embeds.copy_(special)
        checker.concept_embeds_weights.copy_(concept_weights)
        checker.special_care_embeds_weights.copy_(special_weights)
    return concept_margin, special_margin


def decisions(checker, clip_input):
    """StableDiffusionSafetyChecker.forward's decision per picture and its smallest |concept score| (unrounded)."""
    import torch
    embeds = image_embeds(checker, clip_input)
    special = embeds @ torch.nn.functional.normalize(checker.special_care_embeds).T - checker.special_care_embeds_weights
    adjustment = (special > 0).any(dim=1, keepdim=True) * 0.01
    scores = embeds @ torch.nn.functional.normalize(checker.concept_embeds).T - checker.concept_embeds_weights + adjustment
    flagged = (scores > 0).any(dim=1)
    return flagged.tolist(), scores.abs().min(dim=1).values.tolist(), (special > 0).any(dim=1).tolist()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="a tiny diffusers checkpoint (tools/make_tiny_checkpoint.py)")
    p.add_argument("out", help="where the copy with safety_checker/ and feature_extractor/ goes")
    p.add_argument("--seed", type=int, default=0, help="the checker's random weights")
    p.add_argument("--prompts", default="|".join(PROMPTS), help="|-separated prompts whose pictures set the thresholds")
    p.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="comma-separated generator seeds for those pictures")
    p.add_argument("--steps", type=int, default=4)
    args = p.parse_args()
    import torch
    from diffusers import StableDiffusionPipeline
    from transformers import CLIPImageProcessor
    torch.set_num_threads(1)
    prompts, seeds = args.prompts.split("|"), [int(s) for s in args.seeds.split(",")]
    pictures, keys = pipeline_pictures(args.checkpoint, prompts, seeds, args.steps)
    feature_extractor = CLIPImageProcessor()
    clip_input = feature_extractor(pictures, return_tensors="pt").pixel_values
    checker = tiny_checker(args.seed)
    concept_margin, special_margin = set_concepts(checker, image_embeds(checker, clip_input), args.seed)
    flagged, margins, special = decisions(checker, clip_input)
    if all(flagged) or not any(flagged):
        raise SystemExit("every picture got the same decision; try other --prompts/--seeds")

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    shutil.copytree(args.checkpoint, args.out)
    checker.save_pretrained(os.path.join(args.out, "safety_checker"))
    feature_extractor.save_pretrained(os.path.join(args.out, "feature_extractor"))
    index_path = os.path.join(args.out, "model_index.json")
    with open(index_path) as f:
        index = json.load(f)
    index.update(safety_checker=["stable_diffusion", "StableDiffusionSafetyChecker"],
                 feature_extractor=["transformers", "CLIPImageProcessor"], requires_safety_checker=True)
    with open(index_path, "w") as f:
        json.dump(index, f, indent=2)

    # diffusers' own pipeline, with the checker, on the same prompts and seeds
    pipe = StableDiffusionPipeline.from_pretrained(args.out)
    pipe.set_progress_bar_config(disable=True)
    print(f"concept 0 margin {concept_margin:.4f}, special-care 0 margin {special_margin:.4f} (cosine units)")
    print("prompt | seed | special care | flagged (diffusers) | smallest |concept score|")
    for (prompt, seed), mine, margin, care in zip(keys, flagged, margins, special):
        result = pipe(prompt, num_inference_steps=args.steps, generator=torch.Generator().manual_seed(seed), output_type="np")
        detected = result.nsfw_content_detected[0]
        if detected != mine:
            raise SystemExit(f"{prompt!r} seed {seed}: the pipeline says {detected}, the embeddings said {mine}")
        print(f"{prompt} | {seed} | {care} | {detected} | {margin:.4f}")
    print("saved", args.out)


if __name__ == "__main__":
    main()
