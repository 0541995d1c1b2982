#!/usr/bin/env bash
# Builds the browser carry for the GPU machine (issue 24 part A) into .gpu-browser/ (git-ignored): everything
# a bare GPU machine lacks to run the app in a real Chromium and the Node EP beside it, as one payload cut
# into parts that each travel with one device call (64 MiB per call, the working tree included):
#   .gpu-browser/part1/payload.00, part2/payload.01, ...   byte pieces of payload.tar (PART_MB each)
#   .gpu-browser/partN/payload.sha256                      in every part: the whole payload's checksum
# payload.tar (members already compressed; the first two fit in part 1, so call 1 can use them at once):
#   diffusers.tgz     diffusers' python source (the checkpoint and prepare_model.py run in call 1)
#   tokenizer/        a CLIP tokenizer (the tiny fixture's, as ../shared/gpu/prepare-carry.sh uses)
#   gpu.tar           .gpu/'s setup.sh, node.xz, ortn.txz, vk/, export_sd14.py, pipeline-bench.mjs: restored
#                     into .gpu/ on the GPU machine, so .gpu/ itself need not travel
#   chromium.txz      chromium/, unpacked to /tmp/gpub/chromium:
#     chromium-headless-shell + .pak files  Debian's chromium-headless-shell .deb (Chromium 156)
#     icudtl.dat, v8_context_snapshot.bin, snapshot_blob.bin, libvulkan.so.1 (the loader Chromium dlopens),
#     libvk_swiftshader.so, vk_swiftshader_icd.json   from Debian's chromium-common .deb
#     lib/             the shell's shared-library closure (ldd) without glibc itself: the GPU machine may
#                      lack any of them; used only through LD_LIBRARY_PATH in the browser's own environment
#     fonts/, fonts.conf   DejaVu, so the screenshot has text (FONTCONFIG_FILE)
#   browser.txz       playwright-core, the production build (dist/ without the bundled models), the bundled
#                     driver (browser-run.mjs, compare-runs.mjs), the graph-capture check and its page, ort/
# Usage, from the repository root, after `npx vite build` (dist/), ../shared/gpu/prepare-carry.sh and
# bench/build-gpu-bundle.sh (.gpu/), and before moving fixtures/ aside:
#   bash bench/gpu-browser/pack-chromium.sh
#   PART_MB=56 (piece size; the tree without fixtures/ and public/models, about 4 MB, travels too)
#   DIFFUSERS_GIT=<git dir of a fetched huggingface/diffusers> or DIFFUSERS_SRC=<folder holding diffusers/>
#   (default /work/diffusers/src); FORCE=1 packs Chromium again (else the cached chromium.txz is kept)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
OUTDIR=.gpu-browser PART_MB=${PART_MB:-56}
CACHE=$OUTDIR/cache DEBS=${DEBS:-/tmp/gpu-browser-debs}
STAGE=$(mktemp -d /tmp/gpu-browser-stage.XXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$DEBS" "$CACHE"

if [ -f "$CACHE/chromium.txz" ] && [ -z "${FORCE:-}" ]; then
  echo "chromium.txz already packed (FORCE=1 packs it again)"
else
  # 1. The two .debs (the versions apt offers here: Chromium 156 on bookworm-security).
  if ! ls "$DEBS"/chromium-headless-shell_*.deb >/dev/null 2>&1 || ! ls "$DEBS"/chromium-common_*.deb >/dev/null 2>&1; then
    (cd "$DEBS" && apt-get download chromium-headless-shell chromium-common 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  fi
  dpkg -x "$DEBS"/chromium-headless-shell_*.deb "$STAGE/shell"
  dpkg -x "$DEBS"/chromium-common_*.deb "$STAGE/common"
  C=$STAGE/chromium
  mkdir -p "$C/lib" "$C/fonts"
  cp "$STAGE/shell/usr/lib/chromium/"* "$C/"
  for f in icudtl.dat v8_context_snapshot.bin snapshot_blob.bin libvulkan.so.1 libvk_swiftshader.so vk_swiftshader_icd.json; do
    cp "$STAGE/common/usr/lib/chromium/$f" "$C/"
  done
  # 2. The shared-library closure, as ldd resolves it here, minus glibc's own libraries.
  ldd "$C/chromium-headless-shell" "$C/libvk_swiftshader.so" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
    while read -r soname path; do
      case "$soname" in libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) continue ;; esac
      cp -L "$path" "$C/lib/$soname"
    done
  missing=$(LD_LIBRARY_PATH="$C/lib" ldd "$C/chromium-headless-shell" | grep 'not found' || true)
  [ -z "$missing" ] || { echo "unresolved: $missing"; exit 1; }
  # 3. Fonts (the screenshot) and a fontconfig file that finds them relative to itself.
  cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf \
    /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf "$C/fonts/"
  cat > "$C/fonts.conf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir prefix="relative">fonts</dir><cachedir>/tmp/gpub/fontconfig-cache</cachedir></fontconfig>
EOF
  tar cf - -C "$STAGE" chromium | xz -T2 -9 > "$CACHE/chromium.txz.tmp" && mv "$CACHE/chromium.txz.tmp" "$CACHE/chromium.txz"
  echo "chromium.txz: $(du -h "$CACHE/chromium.txz" | cut -f1) (unpacked: $(du -sh "$C" | cut -f1))"
fi

# 4. diffusers' source and a tokenizer (call 1 needs them first).
P=$STAGE/payload
mkdir -p "$P/tokenizer"
if [ -n "${DIFFUSERS_GIT:-}" ]; then git --git-dir="$DIFFUSERS_GIT" archive HEAD src/diffusers | gzip > "$P/diffusers.tgz"
else
  src=${DIFFUSERS_SRC:-/work/diffusers/src}
  tar czf "$P/diffusers.tgz" --exclude=__pycache__ -C "$(dirname "$src")" "$(basename "$src")/diffusers"
fi
cp fixtures/tiny-sd-fp32/tokenizer/* "$P/tokenizer/"

# 5. .gpu/ (Node, onnxruntime-node, the Vulkan loader for the NVIDIA driver, the Node EP benchmark).
need=(setup.sh node.xz ortn.txz vk export_sd14.py pipeline-bench.mjs)
for f in "${need[@]}"; do [ -e ".gpu/$f" ] || { echo ".gpu/$f is missing: run ../shared/gpu/prepare-carry.sh and bench/build-gpu-bundle.sh"; exit 1; }; done
tar cf "$P/gpu.tar" -C .gpu "${need[@]}"

# 6. playwright-core, the production build without the bundled models, the bundled driver.
[ -f dist/index.html ] || { echo "no dist/: run npx vite build first"; exit 1; }
B=$STAGE/browser
mkdir -p "$B/node_modules" "$B/dist"
cp -r node_modules/playwright-core "$B/node_modules/"
rm -rf "$B/node_modules/playwright-core/lib/vite" # the trace viewer / recorder UIs
(cd dist && tar cf - --exclude=./models --exclude=./lib --exclude=./esm .) | tar xf - -C "$B/dist"
bash bench/gpu-browser/build-bundle.sh "$B" >/dev/null
mkdir -p "$B/ort" && cp node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs "$B/ort/" # the graph-capture page (asyncify files: dist/ort)
for f in dist/ort/*; do ln -s "../dist/ort/$(basename "$f")" "$B/ort/$(basename "$f")"; done
tar cf - -C "$B" . | xz -T2 -6 > "$P/browser.txz"
ln "$CACHE/chromium.txz" "$P/chromium.txz" 2>/dev/null || cp "$CACHE/chromium.txz" "$P/chromium.txz"

# 7. payload.tar in pieces, one folder per device call.
tar cf "$STAGE/payload.tar" -C "$P" diffusers.tgz tokenizer gpu.tar chromium.txz browser.txz
rm -rf "$OUTDIR"/part*
split -b "${PART_MB}M" -d "$STAGE/payload.tar" "$STAGE/payload."
sum=$(sha256sum < "$STAGE/payload.tar" | cut -d' ' -f1)
i=1
for piece in "$STAGE"/payload.[0-9]*; do
  mkdir -p "$OUTDIR/part$i" && mv "$piece" "$OUTDIR/part$i/" && echo "$sum" > "$OUTDIR/part$i/payload.sha256"
  i=$((i + 1))
done
du -sh "$P"/* "$OUTDIR"/part*
n=$((i - 1))
echo "$n device calls: call 1 (carry .gpu-browser/part1): bash bench/gpu-browser/gpu-browser-run.sh stash checkpoint prepare"
for k in $(seq 2 $((n - 1))); do echo "  call $k (carry .gpu-browser/part$k): bash bench/gpu-browser/gpu-browser-run.sh stash"; done
echo "  call $n (carry .gpu-browser/part$n): bash bench/gpu-browser/gpu-browser-run.sh unpack browser node compare capture"
