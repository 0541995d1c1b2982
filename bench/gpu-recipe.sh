#!/usr/bin/env bash
# The real-size measurements on the GPU machine (bench/README.md), in stages that each fit one
# device call (<= 10 minutes) on a bare machine. Needs .gpu/ carried along (prepare-carry.sh with
# DIFFUSERS_GIT, then bench/build-gpu-bundle.sh). Logs and JSON go to $OUT (the folder the device
# tool brings back), models to $SD_WORK (default /tmp/sdwork).
#
#   bash bench/gpu-recipe.sh ops        WebGPU operator check at SD v1.4 shapes (fp32 and fp16 vs CPU EP)
#   bash bench/gpu-recipe.sh baseline   export_sd14.py's plain fp16 export: engine vs PyTorch (25 steps,
#                                       512x512), then the 10-step fp16 parity run
#   bash bench/gpu-recipe.sh prepared [prepare_model.py flags, e.g. --disable-fusion attention]
#                                       random SD v1.4 checkpoint (seed 0) -> tools/prepare_model.py ->
#                                       engine vs PyTorch, 10-step parity, then --static-dims and
#                                       --no-resident variants
# Stages can be chained: bash bench/gpu-recipe.sh ops baseline prepared (prepared last: it takes the rest as flags)
# A dry run without a GPU (SwiftShader, tiny sizes): SIZE=64 STEPS=3 OPS_LATENT=8 with a stand-in .gpu/setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f .gpu/setup.sh ] || { echo "no .gpu/: run ../shared/gpu/prepare-carry.sh and bench/build-gpu-bundle.sh here, and carry .gpu" >&2; exit 2; }
# shellcheck disable=SC1091
source .gpu/setup.sh
W=${SD_WORK:-/tmp/sdwork}
O=${OUT:-$W/out}
mkdir -p "$W" "$O"
SIZE=${SIZE:-512}
STEPS=${STEPS:-25}
BENCH="node .gpu/pipeline-bench.mjs --runtime node-webgpu --width $SIZE --height $SIZE"
start=$(date +%s)
say() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$O/recipe.log"; }

# 10 steps, fp16, same weights and initial latents: final latents within 1e-2 relative L2.
parity() { # MODEL_DIR NAME [torch args...]
  local model=$1 name=$2; shift 2
  [ -f "$W/init.f32" ] || python3 tools/check_parity.py make-latents --seed 0 --shape "1,4,$((SIZE / 8)),$((SIZE / 8))" --out "$W/init.f32"
  say "parity $name: engine and PyTorch, 10 steps from $W/init.f32"
  $BENCH --model "$model" --steps 10 --warmup 0 --latents-in "$W/init.f32" --latents-out "$W/engine10-$name.f32" \
    --compare-torch "$@" --torch-latents-out "$W/torch10-$name.f32" --json-out "$O/parity-run-$name.json" > "$O/parity-run-$name.log" 2>&1
  python3 tools/check_parity.py compare "$W/engine10-$name.f32" "$W/torch10-$name.f32" --shape "1,4,$((SIZE / 8)),$((SIZE / 8))" --tolerance 1e-2 2>&1 | tee "$O/parity-$name.log"
}

ops() {
  say "WebGPU operator check"
  node .gpu/webgpu-ops-check.mjs --latent "${OPS_LATENT:-64}" 2>&1 | grep -v VerifyEachNode | tee "$O/ops.log"
}

baseline() {
  if [ ! -f "$W/plain/unet/model.onnx" ]; then
    say "export_sd14.py: plain fp16 export"
    python3 .gpu/export_sd14.py "$W/plain" fp16 .gpu/tokenizer > "$O/export_sd14.log" 2>&1 || { say "export failed"; tail "$O/export_sd14.log"; return 1; }
  fi
  say "bench plain: engine vs PyTorch (random SD v1.4, seed 0), $STEPS steps"
  $BENCH --model "$W/plain" --steps "$STEPS" --warmup 1 --compare-torch --json-out "$O/bench-plain.json" 2>&1 | grep -v VerifyEachNode | tee "$O/bench-plain.log"
  parity "$W/plain" plain
}

prepared() { # prepare_model.py flags...
  if [ ! -f "$W/torch/model_index.json" ]; then
    say "random SD v1.4 checkpoint (seed 0, fp32) for prepare_model.py and PyTorch"
    python3 tools/bench_diffusers.py --random sd14 --tokenizer .gpu/tokenizer --save "$W/torch" --no-bench > "$O/checkpoint.log" 2>&1 \
      || { say "checkpoint failed"; tail "$O/checkpoint.log"; return 1; }
  fi
  say "prepare_model.py $*"
  rm -rf "$W/web"
  python3 tools/prepare_model.py "$W/torch" "$W/web" --parts text_encoder,unet,vae_decoder --work-dir "$W/fp32" --device cuda "$@" \
    > "$O/prepare.log" 2>&1 || { say "prepare_model.py failed"; tail -30 "$O/prepare.log"; return 1; }
  tail -1 "$O/prepare.log"
  cp "$W/web/prepare_model.json" "$O/"
  say "bench prepared: engine vs PyTorch (same checkpoint), $STEPS steps"
  $BENCH --model "$W/web" --steps "$STEPS" --warmup 1 --compare-torch --torch-checkpoint "$W/torch" --json-out "$O/bench-web.json" 2>&1 \
    | grep -v VerifyEachNode | tee "$O/bench-web.log"
  parity "$W/web" web --torch-checkpoint "$W/torch"
  say "variant: --static-dims"
  $BENCH --model "$W/web" --steps "$STEPS" --warmup 1 --static-dims --json-out "$O/bench-web-static.json" 2>&1 | grep -v VerifyEachNode | tail -16 | tee "$O/bench-web-static.log"
  say "variant: --no-resident"
  $BENCH --model "$W/web" --steps "$STEPS" --warmup 1 --no-resident --json-out "$O/bench-web-noresident.json" 2>&1 | grep -v VerifyEachNode | tail -16 | tee "$O/bench-web-noresident.log"
}

while [ $# -gt 0 ]; do
  case $1 in
    ops) ops; shift ;;
    baseline) baseline; shift ;;
    prepared) shift; prepared "$@"; break ;; # the rest are prepare_model.py flags
    *) echo "unknown stage $1 (ops, baseline, prepared)" >&2; exit 2 ;;
  esac
done
say "done"
