"""Tiny GroupNorm graphs for src/engine/runtime/precise-group-norm.test.ts, exported as torch exports diffusers' VAE.

Conv2d(3, 16, 3) -> GroupNorm(8, 16) -> SiLU -> GroupNorm(4, 16) over (N, C, H*W) (the attention block's
layout), exported at opset 17 (ReduceMean takes axes as an attribute) and 18 (axes as an input), with a
flat 3x64x64 input (a green picture with a yellow square, like init_A) and the float64 output.

Usage: python tools/make_group_norm_fixture.py fixtures/group-norm
  writes group-norm-opset17.onnx, group-norm-opset18.onnx, input.f32 (1,3,64,64), output_f64.f32 (1,16,4096)
"""
import os, sys
import numpy as np, torch

class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.norm1 = torch.nn.GroupNorm(8, 16, eps=1e-6)
        self.norm2 = torch.nn.GroupNorm(4, 16, eps=1e-6)
    def forward(self, sample):
        h = torch.nn.functional.silu(self.norm1(self.conv(sample)))
        return self.norm2(h.flatten(2))

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
block = Block().eval()
with torch.no_grad():
    for norm in (block.norm1, block.norm2):
        norm.weight.copy_(1 + 0.5 * torch.randn_like(norm.weight)); norm.bias.copy_(0.5 * torch.randn_like(norm.bias))
x = np.zeros((1, 3, 64, 64), np.float32)
x[0, :, :, :] = np.array([40, 160, 60], np.float32)[:, None, None] / 255 * 2 - 1
x[0, :, 18:47, 18:47] = (np.array([235, 210, 30], np.float32)[:, None, None] / 255 * 2 - 1)
for opset in (17, 18):
    torch.onnx.export(block, (torch.from_numpy(x),), f"{out}/group-norm-opset{opset}.onnx", input_names=["sample"], output_names=["out"],
                      dynamic_axes={"sample": {0: "batch", 2: "height", 3: "width"}}, opset_version=opset, do_constant_folding=True, dynamo=False)
x.tofile(f"{out}/input.f32")
with torch.no_grad():
    block.double()(torch.from_numpy(x).double()).numpy().astype(np.float32).tofile(f"{out}/output_f64.f32")
print("written", sorted(os.listdir(out)))
