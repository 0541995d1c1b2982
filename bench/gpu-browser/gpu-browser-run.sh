#!/usr/bin/env bash
# SD v1.4 in a real Chromium on the GPU machine (issue 24 part A), in two device calls on the same warm
# machine (files under /tmp survive between calls while it stays warm: issue the second call at once).
# Each stage runs under its own time limit; $OUT/run.log and $OUT/results.tgz are refreshed after each.
#   call 1 (carry .gpu-browser/part1):         bash bench/gpu-browser/gpu-browser-run.sh stash checkpoint prepare
#   call 2 (carry .gpu-browser/part2, .gpu):   bash bench/gpu-browser/gpu-browser-run.sh unpack browser node compare
# Stages:
#   stash       part 1 of chromium.txz and diffusers' source to /tmp/gpub (for call 2)
#   checkpoint  a random SD v1.4 diffusers checkpoint, seed 0, fp32 (tools/bench_diffusers.py --random)
#   prepare     tools/prepare_model.py on it ($PREPARE_FLAGS; default the webgpu target: fp16, fused ops)
#   unpack      part 1 + part 2 -> /tmp/gpub/chromium (checked against its sha256), playwright-core, dist/, the driver
#   browser     the app in Chromium (browser-run.mjs): adapter, store MB/s, load per part, each of $RUNS, screenshots
#   node        the engine on onnxruntime-node's WebGPU EP on the same folder (bench/pipeline-bench.ts), each of
#               $RUNS, PyTorch ($TORCH_DTYPE on $TORCH_DEVICE, same checkpoint) in the same command
#   compare     the browser's numbers against the Node EP's and PyTorch's (compare-runs.mjs)
# Settings (environment): SIZE (512), RUNS (pndm:25:7.5,lcm:4:1: scheduler:steps:guidance), ARCH (sd14 | tiny),
#   PREPARE_FLAGS, DEVICE (cuda: the export's trace), ADAPTER (default | swiftshader), SETUP (.gpu/setup.sh),
#   PYTHON (python3), TORCH_DTYPE (fp16), TORCH_DEVICE (cuda), SD_WORK (/tmp/sdwork), GPUB (/tmp/gpub).
# Rehearsal here (SwiftShader, 64x64, the tiny architecture, fp32): bench/README.md "GPU browser run".
set -uo pipefail
cd "$(dirname "$0")/../.."
export W=${SD_WORK:-/tmp/sdwork} GPUB=${GPUB:-/tmp/gpub} SIZE=${SIZE:-512} RUNS=${RUNS:-pndm:25:7.5,lcm:4:1}
export ARCH=${ARCH:-sd14} DEVICE=${DEVICE:-cuda} ADAPTER=${ADAPTER:-default} PYTHON=${PYTHON:-python3}
export TORCH_DTYPE=${TORCH_DTYPE:-fp16} TORCH_DEVICE=${TORCH_DEVICE:-cuda} PREPARE_FLAGS=${PREPARE_FLAGS:-}
export SETUP=${SETUP:-.gpu/setup.sh}
export O=$W/out LOG=${OUT:-$W}/run.log
mkdir -p "$O" "$GPUB"
export T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }
pack() { if [ -n "${OUT:-}" ]; then tar czf "$OUT/results.tgz" -C "$O" .; fi; }
export -f say

stash() {
  cp .gpu-browser/part1/chromium.txz.1 "$GPUB/" || return 1
  mkdir -p /tmp/gpu && tar xzf .gpu-browser/part1/diffusers.tgz -C /tmp/gpu && cp -r .gpu-browser/part1/tokenizer "$GPUB/" || return 1
  ls -l "$GPUB"
}

checkpoint() {
  [ -f "$W/torch/model_index.json" ] && { echo "checkpoint already there"; return 0; }
  local tok=$GPUB/tokenizer; [ -d "$tok" ] || tok=fixtures/tiny-sd-fp32/tokenizer
  local tiny=(); [ "$ARCH" = tiny ] && tiny=(--tiny-config fixtures/tiny-sd-fp32/tiny_config.json)
  PYTHONPATH=/tmp/gpu/src${PYTHONPATH:+:$PYTHONPATH} $PYTHON tools/bench_diffusers.py --random "$ARCH" "${tiny[@]}" --tokenizer "$tok" \
    --save "$W/torch" --no-bench --device "$DEVICE" > "$O/checkpoint.log" 2>&1 || { tail "$O/checkpoint.log"; return 1; }
  tail -3 "$O/checkpoint.log"
}

prepare() {
  rm -rf "$W/web"
  # shellcheck disable=SC2086
  PYTHONPATH=/tmp/gpu/src${PYTHONPATH:+:$PYTHONPATH} $PYTHON tools/prepare_model.py "$W/torch" "$W/web" --parts text_encoder,unet,vae_decoder \
    --work-dir "$W/fp32" --device "$DEVICE" $PREPARE_FLAGS > "$O/prepare.log" 2>&1 || { tail -30 "$O/prepare.log"; return 1; }
  tail -12 "$O/prepare.log"; du -sh "$W/web"
}

unpack() {
  [ -x "$GPUB/chromium/chromium-headless-shell" ] && [ -f "$GPUB/browser/browser-run.mjs" ] && { echo "already unpacked"; return 0; }
  cat "$GPUB/chromium.txz.1" .gpu-browser/part2/chromium.txz.2 > "$GPUB/chromium.txz" || return 1
  [ "$(sha256sum < "$GPUB/chromium.txz" | cut -d' ' -f1)" = "$(cat .gpu-browser/part2/chromium.txz.sha256)" ] || { echo "chromium.txz: sha256 differs (was part 1 stashed by call 1 on this machine?)"; return 1; }
  tar xJf "$GPUB/chromium.txz" -C "$GPUB" && rm "$GPUB/chromium.txz" || return 1
  mkdir -p "$GPUB/browser" && tar xJf .gpu-browser/part2/browser.txz -C "$GPUB/browser" || return 1
  LD_LIBRARY_PATH=$GPUB/chromium/lib ldd "$GPUB/chromium/chromium-headless-shell" | grep 'not found'
  LD_LIBRARY_PATH=$GPUB/chromium/lib "$GPUB/chromium/chromium-headless-shell" --version 2>&1 | tail -1
  du -sh "$GPUB"/*
}

browser() {
  node "$GPUB/browser/browser-run.mjs" --model "$W/web" --dist "$GPUB/browser/dist" --chromium "$GPUB/chromium" \
    --out "$O/browser" --width "$SIZE" --height "$SIZE" --runs "$RUNS" --adapter "$ADAPTER" --timeout-min 6
}

node_ep() {
  local torch=(--compare-torch --torch-checkpoint "$W/torch" --torch-dtype "$TORCH_DTYPE" --torch-device "$TORCH_DEVICE" --python "$PYTHON")
  [ "${NO_TORCH:-}" = 1 ] && torch=()
  for run in ${RUNS//,/ }; do
    IFS=: read -r scheduler steps guidance <<< "$run"
    say "node EP: $scheduler $steps steps, guidance $guidance"
    PYTHONPATH=/tmp/gpu/src${PYTHONPATH:+:$PYTHONPATH} node "${NODE_BENCH:-.gpu/pipeline-bench.mjs}" --runtime node-webgpu --model "$W/web" \
      --width "$SIZE" --height "$SIZE" --scheduler "$scheduler" --steps "$steps" --guidance "$guidance" --warmup 1 \
      "${torch[@]}" --json-out "$O/node-$scheduler-$steps.json" | tail -18
  done
}
compare() {
  node "$GPUB/browser/compare-runs.mjs" "$O"
}
export -f stash checkpoint prepare unpack browser node_ep compare

declare -A LIMIT=([stash]=30 [checkpoint]=150 [prepare]=330 [unpack]=90 [browser]=330 [node]=200 [compare]=20)
declare -A FN=([node]=node_ep)
say "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
# shellcheck disable=SC1090
case " $* " in *" unpack "*|*" browser "*|*" node "*) source "$SETUP" ;; esac
for stage in "$@"; do
  say "stage $stage (limit ${LIMIT[$stage]} s)"
  timeout "${LIMIT[$stage]}" bash -c "${FN[$stage]:-$stage}" 2>&1 | grep -v VerifyEachNode | tee "$O/$stage.log" | tee -a "$LOG"
  say "stage $stage: exit ${PIPESTATUS[0]}"
  pack
done
say "done"
