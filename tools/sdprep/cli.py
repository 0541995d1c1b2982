"""The command line: options, checks, and the child-process entry (one part per child)."""
import argparse
import json
import logging
import os
import sys

from sdprep import __doc__ as DOC
from sdprep.optimise import FUSIONS, WEBGPU_FP16_BROKEN_FUSIONS
from sdprep.folder import optional_parts
from sdprep.lora import parse_lora
from sdprep.run import ALL_PARTS, PARTS, prepare, prepare_part


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=DOC, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", nargs="?", help="diffusers StableDiffusionPipeline directory (save_pretrained)")
    p.add_argument("out", nargs="?", help="output folder (diffusers ONNX layout)")
    p.add_argument("--parts", help="comma-separated subset of " + ",".join(ALL_PARTS) + " (default: " + ",".join(PARTS) +
                   ", the tiny autoencoder's with --taesd, and safety_checker when the checkpoint has one)")
    p.add_argument("--lora", action="append", default=[], metavar="FILE[:WEIGHT]",
                   help="a LoRA (.safetensors, any format diffusers' load_lora_weights reads) fused into the UNet and text "
                        "encoder before the export, at WEIGHT (default 1); repeatable")
    p.add_argument("--taesd", help="a diffusers AutoencoderTiny folder (madebyollin/taesd for SD 1.x): exported as taesd_decoder/ "
                                   "(and taesd_encoder/ when it has the encoder)")
    p.add_argument("--target", choices=["webgpu", "portable"], default="webgpu",
                   help="webgpu: fused operators with WebGPU kernels, fp16 (default). portable: no fused operators, runs on "
                        "onnxruntime-web wasm and onnxruntime-node's CPU EP (fp32, or --fp16-weights)")
    p.add_argument("--fp32", action="store_true", help="keep fp32 (webgpu: stop after optimisation; portable: the default)")
    p.add_argument("--fp16-weights", action="store_true",
                   help="portable: store weights as fp16 (half the download), widened to fp32 by Casts that onnxruntime folds at load")
    p.add_argument("--max-file-bytes", type=int, default=1 << 30,
                   help="largest external-data file (default 1 GiB; one browser buffer holds ~2 GB)")
    p.add_argument("--in-process", action="store_true", help="all parts in this process (default: one child per part, for its peak memory)")
    p.add_argument("--child-report", help=argparse.SUPPRESS)
    p.add_argument("--no-optimize", action="store_true", help="skip the transformer optimizer (plain export, for A/B)")
    p.add_argument("--disable-fusion", default="", help="comma-separated: " + ",".join(FUSIONS))
    p.add_argument("--keep-fp32-ops", default="", help="comma-separated op types to keep in fp32 as well (e.g. Softmax)")
    p.add_argument("--fp16-conv", action="store_true",
                   help="webgpu: the UNet's Conv in fp16 too (7%% faster on an H100, 10x further from PyTorch: see WEBGPU_FP32_OPS)")
    p.add_argument("--static-shapes", action="store_true", help="fix every symbolic input dim for --batch/--width/--height")
    p.add_argument("--batch", type=int, default=2, help="UNet batch for --static-shapes (2: CFG in one call)")
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--device", default="cpu", help="device for the export trace (cpu or cuda)")
    p.add_argument("--work-dir", help="where the fp32 exports go (reused by later runs; default OUT/.fp32)")
    p.add_argument("--re-export", action="store_true", help="export again even if the work dir has the fp32 model")
    args = p.parse_args(argv)
    if not (args.checkpoint and args.out):
        p.error("CHECKPOINT_DIR and OUT_DIR are required")
    args.taesd = os.path.abspath(args.taesd) if args.taesd else None
    try:
        args.loras = [parse_lora(spec) for spec in args.lora]
    except ValueError as error:
        p.error(str(error))
    for path, _ in args.loras:
        if not os.path.isfile(path):
            p.error(f"--lora {path}: no such file")
    available = list(PARTS) + optional_parts(args.checkpoint, args.taesd)
    args.parts = [s for s in args.parts.split(",") if s] if args.parts else available
    unknown = set(args.parts) - set(ALL_PARTS)
    if unknown:
        p.error(f"unknown parts: {', '.join(sorted(unknown))}")
    unavailable = set(args.parts) - set(available)
    if unavailable:
        p.error(f"{', '.join(sorted(unavailable))}: not in this checkpoint (taesd_*: give --taesd DIR; safety_checker: CHECKPOINT/safety_checker/)")
    args.disable_fusion = {s for s in args.disable_fusion.split(",") if s}
    if args.disable_fusion - set(FUSIONS):
        p.error(f"unknown fusions: {', '.join(sorted(args.disable_fusion - set(FUSIONS)))} (known: {', '.join(FUSIONS)})")
    args.keep_fp32_ops = [s for s in args.keep_fp32_ops.split(",") if s]
    if args.fp16_weights and args.target != "portable":
        p.error("--fp16-weights is for --target portable (the webgpu target computes in fp16)")
    if args.target == "portable" and (args.disable_fusion | set(args.keep_fp32_ops) or args.fp16_conv):
        p.error("--disable-fusion and --keep-fp32-ops are for --target webgpu (portable has no fusions and computes in fp32)")
    args.precision = ("fp16-weights" if args.fp16_weights else "fp32") if args.target == "portable" else ("fp32" if args.fp32 else "fp16")
    if args.precision == "fp16":
        args.disable_fusion |= WEBGPU_FP16_BROKEN_FUSIONS
    args.checkpoint, args.out = os.path.abspath(args.checkpoint), os.path.abspath(args.out)
    args.work_dir = os.path.abspath(args.work_dir or os.path.join(args.out, ".fp32"))
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    import importlib.util
    # Found, not imported: torch and diffusers take a while to import, and a part whose fp32 export
    # exists (a second target, a child process) never needs them.
    missing = [m for m in ("numpy", "onnx", "onnxruntime", "torch", "diffusers", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"No module named {', '.join(missing)}: prepare_model.py needs torch, diffusers, transformers, onnx and onnxruntime "
                         "(on the GPU machine: source .gpu/setup.sh, with diffusers packed by prepare-carry.sh)")
    os.makedirs(args.out, exist_ok=True)
    if args.child_report:
        info = prepare_part(args, args.parts[0])
        with open(args.child_report, "w") as f:
            json.dump(info, f)
        return 0
    prepare(args, sys.argv[1:] if argv is None else list(argv))
    return 0

