#!/usr/bin/env bash
# One device call that measures SD v1.4 on the GPU machine, most valuable stage first, each stage under
# its own time limit, so that a call cut short still brings back what it finished (bench/README.md,
# "Measured on a GPU"). What travels (.gpu/, made here by ../shared/gpu/prepare-carry.sh,
# bench/build-gpu-bundle.sh and bench/stub_weights.py strip):
#   .gpu/sd14-stub         tools/prepare_model.py --target webgpu output (fused ops, fp16), weights stripped
#   .gpu/sd14-stub-noattn  the same UNet prepared with --disable-fusion attention (unet/ only)
# Stages:
#   prepared  the prepared graphs with stand-in weights (bench/stub_weights.py: kernel time does not depend
#             on weight values): engine, 25 steps, against PyTorch fp16 (random SD v1.4) in the same command
#   parity    export_sd14.py's plain fp16 export (weights PyTorch rebuilds from seed 0): 10 steps from the
#             same latents, engine vs PyTorch, final latents relative L2 <= 1e-2
#   ops       fused operators at SD v1.4 shapes, WebGPU EP vs CPU EP (bench/webgpu-ops-check.ts)
#   profile   ORT profile of the prepared UNet: GPU time per kernel (bench/profile-summary.ts)
#   variants  --static-dims, preferredLayout=NCHW, --no-resident (per-generation UNet inputs not kept on the GPU),
#             UNet without fused attention
#   realprep  a random SD v1.4 checkpoint (seed 0) -> tools/prepare_model.py (webgpu target) here -> 10 steps
#             from the same latents, engine vs PyTorch fp16 on that checkpoint (relative L2 <= 1e-2), then
#             25 steps of the real-weights folder (checks that stand-in weights time the same)
# Output: $OUT/run.log (everything) and $OUT/results.tgz (JSON and logs per stage), refreshed after each stage.
#   bash bench/gpu-run.sh [stage ...]      (default: all, in the order above)
# Dry run without a GPU: SIZE=64 STEPS=3 with a stand-in .gpu/setup.sh (SwiftShader cannot run fp16).
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source .gpu/setup.sh
export W=${SD_WORK:-/tmp/sdwork} SIZE=${SIZE:-512} STEPS=${STEPS:-25}
export O=$W/out LOG=${OUT:-$W}/run.log
mkdir -p "$O"
export BENCH="node .gpu/pipeline-bench.mjs --runtime node-webgpu --width $SIZE --height $SIZE"
export T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }
pack() { if [ -n "${OUT:-}" ]; then tar czf "$OUT/results.tgz" -C "$O" .; fi; }
export -f say

stub_models() {
  [ -f "$W/stub/unet/stub-weights.bin" ] && return 0
  cp -r .gpu/sd14-stub "$W/stub" && cp -r .gpu/tokenizer "$W/stub/tokenizer" && python3 .gpu/stub_weights.py fill "$W/stub" || return 1
  mkdir -p "$W/stub-noattn" && cp -r .gpu/sd14-stub-noattn/unet "$W/stub-noattn/unet"
  for f in text_encoder vae_decoder vae_encoder tokenizer scheduler model_index.json prepare_model.json; do ln -s "$W/stub/$f" "$W/stub-noattn/$f"; done
  python3 .gpu/stub_weights.py fill "$W/stub-noattn" unet
}

prepared() {
  stub_models || return 1
  $BENCH --model "$W/stub" --steps "$STEPS" --warmup 1 --compare-torch --json-out "$O/bench-prepared.json"
}

parity() {
  if [ ! -f "$W/plain/unet/model.onnx" ]; then
    say "export_sd14.py: plain fp16 export"
    python3 .gpu/export_sd14.py "$W/plain" fp16 .gpu/tokenizer > "$O/export_sd14.log" 2>&1 || { tail "$O/export_sd14.log"; return 1; }
  fi
  python3 tools/check_parity.py make-latents --seed 0 --shape "1,4,$((SIZE / 8)),$((SIZE / 8))" --out "$W/init.f32"
  $BENCH --model "$W/plain" --steps 10 --warmup 0 --latents-in "$W/init.f32" --latents-out "$W/engine10.f32" \
    --compare-torch --torch-latents-out "$W/torch10.f32" --json-out "$O/parity-plain.json"
  python3 tools/check_parity.py compare "$W/engine10.f32" "$W/torch10.f32" --shape "1,4,$((SIZE / 8)),$((SIZE / 8))" --tolerance 1e-2
}

ops() {
  node .gpu/webgpu-ops-check.mjs --latent "$((SIZE / 8))"
}

profile() {
  stub_models || return 1
  $BENCH --model "$W/stub" --steps 5 --warmup 1 --profile "$W/prof" --json-out "$O/bench-profiled.json" | tail -4
  node .gpu/profile-summary.mjs "$(ls -t "$W"/prof_*.json | head -1)" --top 25
}

variants() {
  stub_models || return 1
  say "variant: --static-dims"
  $BENCH --model "$W/stub" --steps 10 --warmup 1 --static-dims --json-out "$O/bench-static.json" | tail -16
  say "variant: preferredLayout=NCHW"
  $BENCH --model "$W/stub" --steps 10 --warmup 1 --webgpu-option preferredLayout=NCHW --json-out "$O/bench-nchw.json" | tail -16
  say "variant: --no-resident"
  $BENCH --model "$W/stub" --steps 10 --warmup 1 --no-resident --json-out "$O/bench-noresident.json" | tail -16
  say "variant: UNet without fused attention"
  $BENCH --model "$W/stub-noattn" --steps 10 --warmup 1 --json-out "$O/bench-noattn.json" | tail -16
}
realprep() {
  if [ ! -f "$W/torch/model_index.json" ]; then
    say "random SD v1.4 checkpoint (seed 0, fp32)"
    python3 tools/bench_diffusers.py --random sd14 --tokenizer .gpu/tokenizer --save "$W/torch" --no-bench > "$O/checkpoint.log" 2>&1 || { tail "$O/checkpoint.log"; return 1; }
  fi
  say "prepare_model.py (webgpu target) ${PREPARE_FLAGS:-}"
  rm -rf "$W/web"
  # shellcheck disable=SC2086
  python3 tools/prepare_model.py "$W/torch" "$W/web" --parts text_encoder,unet,vae_decoder --work-dir "$W/fp32" --device cuda ${PREPARE_FLAGS:-} \
    > "$O/prepare.log" 2>&1 || { tail -30 "$O/prepare.log"; return 1; }
  tail -12 "$O/prepare.log"
  say "realprep parity: 10 steps from the same latents, engine vs PyTorch fp16 (same checkpoint)"
  [ -f "$W/init.f32" ] || python3 tools/check_parity.py make-latents --seed 0 --shape "1,4,$((SIZE / 8)),$((SIZE / 8))" --out "$W/init.f32"
  $BENCH --model "$W/web" --steps 10 --warmup 0 --latents-in "$W/init.f32" --latents-out "$W/engine10-web.f32" \
    --compare-torch --torch-checkpoint "$W/torch" --torch-latents-out "$W/torch10-web.f32" --json-out "$O/parity-web.json"
  python3 tools/check_parity.py compare "$W/engine10-web.f32" "$W/torch10-web.f32" --shape "1,4,$((SIZE / 8)),$((SIZE / 8))" --tolerance 1e-2
  say "realprep speed: 25 steps with the real weights"
  $BENCH --model "$W/web" --steps "$STEPS" --warmup 1 --json-out "$O/bench-web.json" | tail -16
}
export -f stub_models prepared parity ops profile variants realprep

declare -A LIMIT=([prepared]=240 [parity]=200 [ops]=90 [profile]=90 [variants]=210 [realprep]=330)
say "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
for s in "${@:-prepared parity ops profile variants}"; do
  for stage in $s; do
    say "stage $stage (limit ${LIMIT[$stage]} s)"
    timeout "${LIMIT[$stage]}" bash -c "$stage" 2>&1 | grep -v VerifyEachNode | tee "$O/$stage.log" | tee -a "$LOG"
    say "stage $stage: exit ${PIPESTATUS[0]}"
    pack
  done
done
say "done"
