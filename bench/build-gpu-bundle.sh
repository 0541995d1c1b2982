#!/usr/bin/env bash
# Bundles the pipeline benchmark into one ES module, .gpu/pipeline-bench.mjs, for the GPU machine,
# which has Node (from .gpu/setup.sh) but neither this project's node_modules nor tsx.
# onnxruntime-node stays outside: it is loaded at run time through NODE_PATH (set by setup.sh).
# Usage (from the repository root, after ../shared/gpu/prepare-carry.sh): bash bench/build-gpu-bundle.sh
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
mkdir -p .gpu
node_modules/.bin/esbuild bench/pipeline-bench.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile=.gpu/pipeline-bench.mjs --log-level=warning \
  --external:onnxruntime-node --alias:onnxruntime-web=./bench/lib/no-onnxruntime-web.ts --alias:sharp=./bench/lib/no-sharp.ts \
  --banner:js="import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);"
ls -l .gpu/pipeline-bench.mjs
