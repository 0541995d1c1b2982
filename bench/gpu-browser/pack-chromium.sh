#!/usr/bin/env bash
# Builds the browser carry for the GPU machine (issue 24 part A) into .gpu-browser/ (git-ignored):
# everything a bare GPU machine lacks to run the app in a real Chromium, split in two parts that each
# travel with one device call (64 MiB per call, the working tree included):
#   part1/chromium.txz.1          the first bytes of chromium.txz (see below)
#   part1/diffusers.tgz           diffusers' python source (for the checkpoint and prepare_model.py in call 1)
#   part1/tokenizer/              a CLIP tokenizer (the tiny fixture's, as ../shared/gpu/prepare-carry.sh uses)
#   part2/chromium.txz.2          the rest of it
#   part2/browser.txz             playwright-core, the production build (dist/, no bundled models),
#                                 the bundled driver (browser-run.mjs), fonts
# chromium.txz holds chromium/ as it is unpacked on the GPU machine (under /tmp/gpub/):
#   chromium-headless-shell + its .pak files   Debian's chromium-headless-shell .deb (Chromium 156)
#   icudtl.dat, v8_context_snapshot.bin, snapshot_blob.bin, libvulkan.so.1, libvk_swiftshader.so,
#   vk_swiftshader_icd.json                    from Debian's chromium-common .deb (the shell needs them
#                                              beside it; its Vulkan loader is the one Chromium dlopens)
#   lib/                                       the shell's shared-library closure (ldd) without glibc
#                                              itself: the GPU machine may lack any of them; used only
#                                              through LD_LIBRARY_PATH in the browser's own environment
#   fonts/, fonts.conf                         DejaVu, so the screenshot has text (FONTCONFIG_FILE)
# Everything is xz -9: the .deb's 64 MB (219 MB unpacked) plus libraries become about the sizes printed.
# Node, onnxruntime-node and the Vulkan loader for the NVIDIA driver come from ../shared/gpu/prepare-carry.sh
# (.gpu/, carried in the second call too); see bench/README.md "GPU browser run".
# Usage, from the repository root: bash bench/gpu-browser/pack-chromium.sh
#   PART1_MB=54 (MiB of chromium.txz in part 1; the tree without fixtures/ and public/models travels as well)
#   DIFFUSERS_GIT=<git dir of a fetched huggingface/diffusers> or DIFFUSERS_SRC=<folder holding diffusers/>
#   (default /work/diffusers/src)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
OUTDIR=.gpu-browser PART1_MB=${PART1_MB:-54}
DEBS=${DEBS:-/tmp/gpu-browser-debs}
STAGE=$(mktemp -d /tmp/gpu-browser-stage.XXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$DEBS" "$OUTDIR/part1" "$OUTDIR/part2"

if [ -f "$OUTDIR/part2/chromium.txz.sha256" ] && [ -z "${FORCE:-}" ]; then
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

# 4. chromium.txz, split between the two calls.
tar cf - -C "$STAGE" chromium | xz -T2 -9 > "$STAGE/chromium.txz"
head -c $((PART1_MB * 1048576)) "$STAGE/chromium.txz" > "$OUTDIR/part1/chromium.txz.1"
tail -c +$((PART1_MB * 1048576 + 1)) "$STAGE/chromium.txz" > "$OUTDIR/part2/chromium.txz.2"
sha256sum "$STAGE/chromium.txz" | awk '{print $1}' > "$OUTDIR/part2/chromium.txz.sha256"
du -b "$STAGE/chromium.txz" | awk '{printf "chromium.txz: %.1f MiB (unpacked: %s)\n", $1 / 1048576, "'"$(du -sh "$C" | cut -f1)"'"}'
fi

# 5. For call 1: diffusers' source and a tokenizer.
if [ ! -f "$OUTDIR/part1/diffusers.tgz" ]; then
  if [ -n "${DIFFUSERS_GIT:-}" ]; then git --git-dir="$DIFFUSERS_GIT" archive HEAD src/diffusers | gzip > "$OUTDIR/part1/diffusers.tgz"
  else tar czf "$OUTDIR/part1/diffusers.tgz" --exclude=__pycache__ -C "$(dirname "${DIFFUSERS_SRC:-/work/diffusers/src}")" "$(basename "${DIFFUSERS_SRC:-/work/diffusers/src}")/diffusers"; fi
fi
mkdir -p "$OUTDIR/part1/tokenizer" && cp fixtures/tiny-sd-fp32/tokenizer/* "$OUTDIR/part1/tokenizer/"

# 6. The rest: playwright-core, the production build without the bundled models, the bundled driver.
[ -f dist/index.html ] || { echo "no dist/: run npm run build first"; exit 1; }
B=$STAGE/browser
mkdir -p "$B/node_modules" "$B/dist"
cp -r node_modules/playwright-core "$B/node_modules/"
rm -rf "$B/node_modules/playwright-core/lib/vite" # the trace viewer / recorder UIs
(cd dist && tar cf - --exclude=./models --exclude=./lib --exclude=./esm .) | tar xf - -C "$B/dist"
bash bench/gpu-browser/build-bundle.sh "$B"
tar cf - -C "$B" . | xz -T2 -9 > "$OUTDIR/part2/browser.txz"

du -sh "$OUTDIR"/part1/* "$OUTDIR"/part2/* "$OUTDIR"/part1 "$OUTDIR"/part2
