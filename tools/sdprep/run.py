"""Runs the stages for each part, each part in a child process whose peak RSS is its own, and writes
prepare_model.json (per part: seconds per stage, peak RSS, operator counts, files) and the summary table."""
import json
import logging
import os
import shutil
import sys
import time

from sdprep.export import export_fp32, load_components
from sdprep.folder import OPTIONAL_PARTS, copy_configs
from sdprep.fp16 import WEBGPU_FP32_OPS, cast_weights_to_fp16, convert_fp16
from sdprep.graph import fix_dims, load_graph, op_counts, static_dim_values, weights_beside, weights_of
from sdprep.optimise import optimize_fp32, webgpu_problems
from sdprep.shards import save
from sdprep.weight_map import write_weight_map

PARTS = ("text_encoder", "unet", "vae_decoder", "vae_encoder")
ALL_PARTS = PARTS + OPTIONAL_PARTS
LORA_PARTS = ("text_encoder", "unet")  # the parts a LoRA changes: a fused one gets weight_map.json
OPTIMIZER_MODEL_TYPE = {"text_encoder": "clip", "unet": "unet", "vae_decoder": "vae", "vae_encoder": "vae",
                        "taesd_decoder": "vae", "taesd_encoder": "vae", "safety_checker": "clip"}
ENTRY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "prepare_model.py")

log = logging.getLogger("prepare_model")


def peak_rss_mb():
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kilobytes


def prepare_part(args, part):
    """One part, start to end, in this process (prepare() runs each in a child to measure its own peak memory)."""
    import onnx
    t0 = time.time()
    info = {"stages": {}}

    def stage(name, since):
        info["stages"][name] = round(time.time() - since, 1)
        log.info("%s: %s (%.0f s, peak RSS %d MB)", part, name, time.time() - since, peak_rss_mb())
        return time.time()

    fp32_path = os.path.join(args.work_dir, part, "model.onnx")
    t = time.time()
    source, previous = export_source(args, part), previous_source(fp32_path)
    if os.path.exists(fp32_path) and not args.re_export and (previous == source or (previous is None and not args.loras)):
        log.info("%s: reusing the fp32 export %s", part, fp32_path)
    else:
        shutil.rmtree(os.path.dirname(fp32_path), ignore_errors=True)
        export_fp32(part, load_components(args.checkpoint, args.taesd, args.loras), fp32_path, args.opset, args.device)
        with open(os.path.join(os.path.dirname(fp32_path), "export.json"), "w") as f:
            json.dump(source, f)
        t = stage("export fp32", t)
    if args.target == "webgpu" and not args.no_optimize:
        model, info["fusion_options"] = optimize_fp32(fp32_path, OPTIMIZER_MODEL_TYPE[part], args.disable_fusion)
        problems = webgpu_problems(model.model.graph.node)
        if problems:
            raise SystemExit(f"{part}: the optimised graph has operators the WebGPU EP cannot run:\n  " + "\n  ".join(problems) +
                             "\nTurn the fusion off (--disable-fusion NAME) or report the onnxruntime version.")
        t = stage("optimise", t)
    else:
        from onnxruntime.transformers.onnx_model import OnnxModel
        model = OnnxModel(load_graph(fp32_path))
    info["ops"] = op_counts(model.model.graph.node)
    if args.precision == "fp16":
        keep = keep_fp32_ops(args, part)
        with weights_beside(fp32_path):
            info["fp32_nodes"], info["fp16_warnings"] = convert_fp16(model, part, keep)
        info["keep_fp32_ops"] = keep
        if keep:  # their arithmetic in fp32, their weights stored as fp16 (the download stays fp16-sized)
            info["fp16_stored_fp32_weights"] = cast_weights_to_fp16(model.model.graph, names=weights_of(model.model.graph, keep))
        t = stage("fp16", t)
    elif args.precision == "fp16-weights":
        info["fp16_weights"] = cast_weights_to_fp16(model.model.graph)
    if args.static_shapes:
        values = static_dim_values(part, args.batch, args.height, args.width)
        info["static_dims"] = values
        info["fixed_dims"] = fix_dims(model.model.graph, values)
    info["files"] = save(model.model, args.out, part, external=(part == "unet"), source_dir=os.path.dirname(fp32_path),
                         max_file_bytes=args.max_file_bytes)
    t = stage("save", t)
    if part in LORA_PARTS:
        info["weight_map"] = write_weight_map(fp32_path, os.path.join(args.out, part, "model.onnx"))
        if info["weight_map"] is not None:
            stage("weight map", t)
    info["seconds"] = round(time.time() - t0, 1)
    info["peak_rss_mb"] = peak_rss_mb()
    del model
    return info


def export_source(args, part):
    """What a part's fp32 export was made from (written beside it as export.json): a later run reuses the export
    only when this is the same (another --lora set or --taesd folder exports again)."""
    source = {"checkpoint": args.checkpoint}
    if part in ("unet", "text_encoder"):
        source["loras"] = [[path, weight] for path, weight in args.loras]
    if part.startswith("taesd_"):
        source["taesd"] = args.taesd
    return source


def previous_source(fp32_path):
    """export.json of an earlier export, or None (exports made before export.json: reused when no --lora is given)."""
    try:
        with open(os.path.join(os.path.dirname(fp32_path), "export.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def keep_fp32_ops(args, part):
    """The op types of PART that stay fp32 in an fp16 webgpu folder: --keep-fp32-ops, plus the measured default."""
    default = [] if args.fp16_conv else WEBGPU_FP32_OPS.get(part, [])
    return list(dict.fromkeys(list(args.keep_fp32_ops) + default))


def child_argv(argv, part, report):
    """The command line for one part in a child process: the same options, one part."""
    return [sys.executable, ENTRY, *argv, "--parts", part, "--child-report", report]


def prepare(args, argv):
    import subprocess
    import tempfile
    import importlib.metadata
    import numpy
    import onnx
    import onnxruntime
    t0 = time.time()
    report = {"target": args.target, "precision": args.precision, "max_file_bytes": args.max_file_bytes,
              "checkpoint": args.checkpoint, "onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__,
              "torch": importlib.metadata.version("torch"), "numpy": numpy.__version__, "opset": args.opset,
              "optimize": args.target == "webgpu" and not args.no_optimize, "disabled_fusions": sorted(args.disable_fusion),
              "keep_fp32_ops": args.keep_fp32_ops, "parts": {},
              **({"loras": [{"file": path, "weight": weight} for path, weight in args.loras]} if args.loras else {}),
              **({"taesd": args.taesd} if args.taesd else {}),
              "static_shapes": {"batch": args.batch, "height": args.height, "width": args.width} if args.static_shapes else None}
    for part in args.parts:
        if args.in_process:
            report["parts"][part] = prepare_part(args, part)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            child_report = os.path.join(tmp, "part.json")
            result = subprocess.run(child_argv(argv, part, child_report))
            if result.returncode != 0:
                raise SystemExit(f"{part}: preparing it failed (exit {result.returncode}; -9 or 137: killed for memory). See the log above.")
            with open(child_report) as f:
                report["parts"][part] = json.load(f)
    # After the parts: save() empties each part's directory first, which removed the configs when they were copied
    # before (the folders had no unet/config.json or vae_decoder/config.json until this order).
    copy_configs(args.checkpoint, args.out, args.parts, args.taesd)
    report["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "prepare_model.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(summary_table(report))
    print(json.dumps({"out": args.out, "target": args.target, "precision": args.precision, "seconds": report["seconds"],
                      "ops": {p: {k: v for k, v in i["ops"].items() if k.startswith("com.microsoft")} for p, i in report["parts"].items()}}))


def summary_table(report):
    """Per part: seconds, peak RSS, output files and sizes (a Markdown table)."""
    rows = ["| part | seconds | stages | peak RSS | files |", "| --- | ---: | --- | ---: | --- |"]
    for part, info in report["parts"].items():
        stages = ", ".join(f"{k} {v} s" for k, v in info.get("stages", {}).items())
        files = ", ".join(f"{name} {size / 1e6:,.1f} MB" for name, size in info["files"].items())
        rows.append(f"| {part} | {info['seconds']} | {stages} | {info['peak_rss_mb'] / 1000:.2f} GB | {files} |")
    total = sum(sum(i["files"].values()) for i in report["parts"].values())
    rows.append(f"| total | {report['seconds']} | | {max(i['peak_rss_mb'] for i in report['parts'].values()) / 1000:.2f} GB (max) | {total / 1e6:,.1f} MB |")
    return "\n".join(rows)


