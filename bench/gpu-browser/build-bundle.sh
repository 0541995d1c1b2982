#!/usr/bin/env bash
# Bundles bench/gpu-browser/browser-run.ts and compare-runs.ts into DIR/*.mjs for a machine with Node but without
# this project's node_modules or tsx; playwright-core stays outside (DIR/node_modules/playwright-core,
# which pack-chromium.sh puts beside it).
# Usage, from the repository root: bash bench/gpu-browser/build-bundle.sh DIR
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
out=${1:?usage: build-bundle.sh DIR}
mkdir -p "$out"
node_modules/.bin/esbuild bench/gpu-browser/browser-run.ts bench/gpu-browser/compare-runs.ts bench/gpu-browser/graph-capture-check.ts --bundle --platform=node --format=esm --target=node20 \
  --outdir="$out" --out-extension:.js=.mjs --log-level=warning --external:playwright-core \
  --banner:js="import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);"
cp bench/gpu-browser/graph-capture.html "$out/"
ls -l "$out"/*.mjs
