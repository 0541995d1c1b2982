#!/usr/bin/env bash
# SD v1.4 in a real Chromium on the GPU machine (issue 24 part A), in N device calls on the same warm machine
# (files under /tmp survive between calls while it stays warm, 30 s after a call: issue the next call at once).
# bench/gpu-browser/pack-chromium.sh cuts the payload into .gpu-browser/part1..N and prints the calls:
#   call 1 (carry .gpu-browser/part1):      bash bench/gpu-browser/gpu-browser-run.sh stash checkpoint prepare
#   call k (carry .gpu-browser/partk):      bash bench/gpu-browser/gpu-browser-run.sh stash
#   call N (carry .gpu-browser/partN):      bash bench/gpu-browser/gpu-browser-run.sh unpack browser node compare capture
# Each stage runs under its own time limit; $OUT/run.log and $OUT/results.tgz are refreshed after each.
# Stages:
#   stash       this call's payload piece to /tmp/gpub; diffusers' source and the tokenizer out of piece 1
#   checkpoint  a random SD v1.4 diffusers checkpoint, seed 0, fp32 (tools/bench_diffusers.py --random)
#   prepare     tools/prepare_model.py on it ($PREPARE_FLAGS; default the webgpu target: fp16, fused ops)
#   unpack      the pieces -> payload.tar (checked against its sha256) -> .gpu/ (Node, onnxruntime-node, Vulkan
#               loader), /tmp/gpub/chromium (headless shell + libraries), /tmp/gpub/browser (playwright-core, dist/, driver)
#   browser     the app in Chromium (browser-run.mjs): adapter, store MB/s, load per part, each of $RUNS, screenshots
#   node        the engine on onnxruntime-node's WebGPU EP on the same folder (bench/pipeline-bench.ts), each of
#               $RUNS, PyTorch ($TORCH_DTYPE on $TORCH_DEVICE, same checkpoint) in the same command
#   capture     graph capture (enableGraphCapture) on the prepared UNet in Chromium vs the same session without it
#   compare     the browser's numbers against the Node EP's and PyTorch's (compare-runs.mjs -> compare.md)
# Settings (environment): SIZE (512), RUNS (pndm:25:7.5,lcm:4:1: scheduler:steps:guidance), ARCH (sd14 | tiny),
#   PREPARE_FLAGS, DEVICE (cuda: the export's trace), ADAPTER (default | swiftshader), SETUP (.gpu/setup.sh),
#   PYTHON (python3), TORCH_DTYPE (fp16), TORCH_DEVICE (cuda), SD_WORK (/tmp/sdwork), GPUB (/tmp/gpub),
#   NODE_WARMUP (1: untimed generations before the Node EP's timed one), NO_TORCH (1: no PyTorch in the node stage),
#   LIMIT_SCALE (1: multiplies every stage's time limit; the SwiftShader rehearsal needs more).
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
  cp .gpu-browser/part*/payload.[0-9]* "$GPUB/" || return 1
  cp .gpu-browser/part*/payload.sha256 "$GPUB/" 2>/dev/null
  if [ ! -d /tmp/gpu/src/diffusers ]; then
    # diffusers.tgz and tokenizer/ lead payload.tar: a prefix of it (piece 00) holds them whole.
    cat "$GPUB"/payload.[0-9]* | tar xf - -C "$GPUB" diffusers.tgz tokenizer 2>/dev/null
    mkdir -p /tmp/gpu && tar xzf "$GPUB/diffusers.tgz" -C /tmp/gpu || return 1
  fi
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
  if [ ! -x "$GPUB/chromium/chromium-headless-shell" ] || [ ! -f "$GPUB/browser/browser-run.mjs" ] || [ ! -f .gpu/setup.sh ]; then
    stash || return 1
    [ "$(cat "$GPUB"/payload.[0-9]* | sha256sum | cut -d' ' -f1)" = "$(cat "$GPUB/payload.sha256")" ] \
      || { echo "payload: sha256 differs (pieces here: $(ls "$GPUB" | grep -c '^payload\.[0-9]'); were the earlier calls' pieces stashed on this machine?)"; return 1; }
    cat "$GPUB"/payload.[0-9]* | tar xf - -C "$GPUB" && rm "$GPUB"/payload.[0-9]* || return 1
    mkdir -p .gpu && tar xf "$GPUB/gpu.tar" -C .gpu || return 1
    tar xJf "$GPUB/chromium.txz" -C "$GPUB" && mkdir -p "$GPUB/browser" && tar xJf "$GPUB/browser.txz" -C "$GPUB/browser" || return 1
    rm -f "$GPUB/chromium.txz" "$GPUB/browser.txz" "$GPUB/gpu.tar"
  fi
  LD_LIBRARY_PATH=$GPUB/chromium/lib ldd "$GPUB/chromium/chromium-headless-shell" | grep 'not found'
  LD_LIBRARY_PATH=$GPUB/chromium/lib "$GPUB/chromium/chromium-headless-shell" --version 2>&1 | tail -1
  du -sh "$GPUB"/* .gpu
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
      --width "$SIZE" --height "$SIZE" --scheduler "$scheduler" --steps "$steps" --guidance "$guidance" --warmup "${NODE_WARMUP:-1}" \
      "${torch[@]}" --json-out "$O/node-$scheduler-$steps.json" | tail -18
  done
}
capture() {
  # onnxruntime-web's WebGPU graph capture on the prepared UNet at this size, against no capture (graph-capture.html)
  local hidden=768 io=float16; [ "$ARCH" = tiny ] && hidden=32
  grep -q '"precision": "fp32"' "$W/web/prepare_model.json" 2>/dev/null && io=float32
  node "$GPUB/browser/graph-capture-check.mjs" --ort "$GPUB/browser/ort" --chromium "$GPUB/chromium" --adapter "$ADAPTER" \
    --unet "$W/web/unet" --hidden "$hidden" --io "$io" --latent $((SIZE / 8)) --vary all --runs 4 --gpuio 0 --timeout-min 4 | tee "$O/graph-capture.log"
}
compare() {
  node "$GPUB/browser/compare-runs.mjs" "$O"
}
export -f stash checkpoint prepare unpack browser node_ep capture compare

declare -A LIMIT=([stash]=40 [checkpoint]=150 [prepare]=330 [unpack]=120 [browser]=330 [node]=200 [capture]=150 [compare]=20)
declare -A FN=([node]=node_ep)
say "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
set_up=0
for stage in "$@"; do
  if [ $set_up = 0 ] && { [ "$stage" = browser ] || [ "$stage" = node ] || [ "$stage" = capture ]; }; then
    # shellcheck disable=SC1090
    source "$SETUP" && set_up=1 # after unpack: it restores .gpu/
  fi
  limit=$(( ${LIMIT[$stage]} * ${LIMIT_SCALE:-1} ))
  say "stage $stage (limit $limit s)"
  timeout "$limit" bash -c "${FN[$stage]:-$stage}" 2>&1 | grep -v VerifyEachNode | tee "$O/$stage.log" | tee -a "$LOG"
  say "stage $stage: exit ${PIPESTATUS[0]}"
  pack
done
say "done"
