# Stand-in for .gpu/setup.sh on a machine without a GPU (the rehearsal, bench/README.md "GPU browser run"):
# Node is already on PATH; onnxruntime-node from this checkout's node_modules; the Node EP on SwiftShader
# through Debian's chromium package's Vulkan loader (the browser itself uses the carried one);
# python with torch, and diffusers' source.
export NODE_PATH=$PWD/node_modules
export LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
export PYTHONPATH=${DIFFUSERS_SRC:-/work/diffusers/src}${PYTHONPATH:+:$PYTHONPATH}
