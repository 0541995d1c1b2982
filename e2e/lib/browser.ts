/**
 * Launches Debian's Chromium through playwright-core with WebGPU on SwiftShader (CPU), the only
 * WebGPU this machine and CI have. No shader-f16 there: browser tests use fp32 models.
 */
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
];

/** `webgpu: false` launches without the WebGPU flags (for "no WebGPU" tests). */
export async function launchChromium(options: { webgpu?: boolean } & LaunchOptions = {}): Promise<Browser> {
  const { webgpu = true, ...rest } = options;
  const args = webgpu ? CHROMIUM_ARGS : [...CHROMIUM_ARGS.slice(0, 5), '--disable-features=WebGPU,Vulkan', '--disable-webgpu'];
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args, ...rest });
}
