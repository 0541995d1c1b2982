#!/usr/bin/env bash
# Bundles the benchmark commands into single ES modules for the GPU machine, which has Node (from
# .gpu/setup.sh) but neither this project's node_modules nor tsx:
#   .gpu/pipeline-bench.mjs     bench/pipeline-bench.ts
#   .gpu/webgpu-ops-check.mjs   bench/webgpu-ops-check.ts
# onnxruntime-node stays outside (loaded at run time through NODE_PATH, set by setup.sh);
# onnxruntime-web and sharp are replaced by stubs (the GPU runs use onnxruntime-node only).
# Usage, from the repository root: bash bench/build-gpu-bundle.sh
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
mkdir -p .gpu
node_modules/.bin/esbuild bench/pipeline-bench.ts bench/webgpu-ops-check.ts bench/profile-summary.ts --bundle --platform=node --format=esm --target=node20 \
  --outdir=.gpu --out-extension:.js=.mjs --log-level=warning \
  --external:onnxruntime-node --alias:onnxruntime-web=./bench/lib/no-onnxruntime-web.ts --alias:sharp=./bench/lib/no-sharp.ts \
  --banner:js="import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);"
ls -l .gpu/pipeline-bench.mjs .gpu/webgpu-ops-check.mjs .gpu/profile-summary.mjs
