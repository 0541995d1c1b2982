/**
 * Launches Debian's Chromium through playwright-core with WebGPU on SwiftShader (CPU), the only
 * WebGPU this machine and CI have. No shader-f16 there: browser tests use fp32 models.
 * The flag groups are shared with the GPU machine's benches (bench/gpu-browser/chromium.ts).
 */
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's flags for a headless run. */
export const HEADLESS_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** WebGPU on, through Dawn's Vulkan backend. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

export const CHROMIUM_ARGS = [...HEADLESS_ARGS, ...WEBGPU_ARGS, '--use-webgpu-adapter=swiftshader'];

/** `webgpu: false` launches without the WebGPU flags (for "no WebGPU" tests). */
export async function launchChromium(options: { webgpu?: boolean } & LaunchOptions = {}): Promise<Browser> {
  const { webgpu = true, ...rest } = options;
  const args = webgpu ? CHROMIUM_ARGS : [...HEADLESS_ARGS, '--disable-features=WebGPU,Vulkan', '--disable-webgpu'];
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args, ...rest });
}
